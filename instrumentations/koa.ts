// Placeholder: the koa instrumentation is being written (issue 5). No definitions yet, so nothing
// is hooked.
import type { InstrumentationDefinition } from '../src/loader/definition';

const definitions: InstrumentationDefinition[] = [];

export default definitions;
