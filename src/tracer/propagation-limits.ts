import { baggageLimits, utf8Bytes, type BaggageLimits } from '../codecs/carrier';
import { RateLimiter } from '../samplers/rate-limiter';

// What the tracer refuses to take from a caller: baggage past its bounds, and more debug traces
// than the throttle allows. Kept apart from tracer.ts, which only asks these questions.

/** The tracer options these limits read. */
export interface PropagationLimitOptions {
  /** Baggage items one context may hold, extracted or set (JAEGER_BAGGAGE_MAX_ITEMS, default 64). */
  baggageMaxItems?: number;
  /** UTF-8 bytes of baggage keys and values together (JAEGER_BAGGAGE_MAX_BYTES, default 8192). */
  baggageMaxBytes?: number;
  /** Debug traces per second jaeger-debug-id may force, bursts of max(1, rate) (JAEGER_DEBUG_THROTTLE, default 1). */
  debugThrottle?: number;
  /** Honour every jaeger-debug-id: all callers are trusted (JAEGER_DEBUG_TRUST). */
  debugTrust?: boolean;
  /** Monotonic milliseconds for the debug throttle; tests pass a fake clock. */
  debugClock?: () => number;
}

/** Counts of what propagation refused; JaegerTracer.propagationStats returns a snapshot. */
export interface PropagationStats {
  /** Baggage items in incoming carriers left out by the item or byte bounds. */
  baggageDroppedOnExtract: number;
  /** setBaggageItem calls refused by the item or byte bounds. */
  baggageDroppedOnSet: number;
  /** jaeger-debug-id requests that started a debug trace. */
  debugAllowed: number;
  /** jaeger-debug-id requests over the throttle, left to the normal sampler. */
  debugThrottled: number;
}

/** Debug traces per second a jaeger-debug-id may force when nothing is configured. */
export const DEFAULT_DEBUG_THROTTLE = 1;

type WarnOnce = (key: string, msg: string, ...args: unknown[]) => void;

export class PropagationLimits {
  readonly baggage: BaggageLimits;
  readonly #stats: PropagationStats = {
    baggageDroppedOnExtract: 0, baggageDroppedOnSet: 0, debugAllowed: 0, debugThrottled: 0,
  };
  /** undefined when debug ids are trusted. */
  readonly #debugLimiter: RateLimiter | undefined;
  readonly #warnOnce: WarnOnce;

  constructor(options: PropagationLimitOptions, warnOnce: WarnOnce) {
    this.baggage = baggageLimits(options.baggageMaxItems, options.baggageMaxBytes);
    this.#warnOnce = warnOnce;
    // Any client can ask for a debug trace with one header; unless trusted, that costs at most the rate.
    if (options.debugTrust !== true) {
      const t = options.debugThrottle;
      const rate = typeof t === 'number' && t >= 0 && Number.isFinite(t) ? t : DEFAULT_DEBUG_THROTTLE;
      this.#debugLimiter = new RateLimiter(rate, Math.max(1, rate), options.debugClock);
    }
  }

  get stats(): Readonly<PropagationStats> {
    return Object.freeze({ ...this.#stats });
  }

  /** The codecs' onBaggageDropped. */
  readonly onBaggageDropped = (n: number): void => {
    this.#stats.baggageDroppedOnExtract += n;
    this.#warnOnce('baggage:extract', 'incoming baggage over %d items or %d bytes: %d item(s) left out '
      + '(warned once; counted in tracer.propagationStats)', this.baggage.maxItems, this.baggage.maxBytes, n);
  };

  /** Whether this jaeger-debug-id may start a debug trace; counts either way. */
  allowDebug(): boolean {
    const limiter = this.#debugLimiter;
    if (limiter === undefined || limiter.checkCredit(1)) {
      this.#stats.debugAllowed++;
      return true;
    }
    this.#stats.debugThrottled++;
    this.#warnOnce('debug:throttled', 'jaeger-debug-id requests over %d per second are sampled normally '
      + '(JAEGER_DEBUG_THROTTLE; JAEGER_DEBUG_TRUST=true honours all)', limiter.creditsPerSecond);
    return false;
  }

  /** Whether setting key to value keeps the baggage within the bounds (replacing key if held). */
  baggageFits(baggage: Readonly<Record<string, string>> | undefined, key: string, value: string): boolean {
    if (key === '' || key === '__proto__') return false;
    let count = 0;
    let bytes = 0;
    // Linear in the items held, which the bound keeps small.
    if (baggage !== undefined) {
      for (const k in baggage) {
        if (k === key) continue;
        count++;
        bytes += utf8Bytes(k) + utf8Bytes(baggage[k]);
      }
    }
    return count + 1 <= this.baggage.maxItems && bytes + utf8Bytes(key) + utf8Bytes(value) <= this.baggage.maxBytes;
  }

  /** Counts a refused setBaggageItem. */
  refusedSet(): void {
    this.#stats.baggageDroppedOnSet++;
    this.#warnOnce('baggage:set', 'setBaggageItem over %d items or %d bytes: item left out '
      + '(warned once; counted in tracer.propagationStats)', this.baggage.maxItems, this.baggage.maxBytes);
  }
}
