// Our own reporting traffic (collector POSTs, sampling polls) must never become a span.
export { runUntraced, isUntraced } from './scope-manager';
