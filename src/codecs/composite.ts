// Placeholder until the propagation codecs land; replaced wholesale.
import type { Codec } from './codec';

export type PropagationFormat = 'jaeger' | 'w3c' | 'b3' | 'b3-single';

export interface CodecOptions {
  /** HTTP_HEADERS carriers url-encode values that may hold reserved characters. */
  urlEncoding: boolean;
}

export function createCodec(_formats: readonly PropagationFormat[], _options: CodecOptions): Codec {
  return { inject() {}, extract: () => null };
}
