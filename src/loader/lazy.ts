/**
 * `load()` run on the first call only, its result kept. An instrumentation's definition file stays
 * plain data plus patch functions; the code behind the patches (and what it imports: span helpers,
 * the scope manager, tag tables) is required on the first require of the traced module, so the
 * preload pays start-up time only for the modules the application actually loads.
 */
export function lazy<T>(load: () => T): () => T {
  let loaded = false;
  let value: T;
  return () => {
    if (!loaded) {
      value = load();
      loaded = true;
    }
    return value;
  };
}
