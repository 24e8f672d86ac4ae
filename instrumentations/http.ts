// Placeholder: the http/https instrumentation is being written; replaced wholesale.
import type { InstrumentationDefinition } from '../src/loader/definition';

const definitions: InstrumentationDefinition[] = [];
export default definitions;
