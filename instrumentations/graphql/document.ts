// What the graphql operation span says about the document: which operation runs (type and name)
// and the document's text with every literal value masked. Read from the parsed document (AST)
// the app passes to execute(), never from variables.

/** The operation a document runs, as far as the AST tells. */
export interface OperationInfo {
  /** 'query', 'mutation' or 'subscription'; undefined when the operation cannot be found. */
  readonly type: string | undefined;
  /** The operation's name; undefined for an anonymous operation. */
  readonly name: string | undefined;
}

interface AstNode { kind?: unknown; operation?: unknown; name?: { value?: unknown } }
interface DocumentNode { definitions?: unknown; loc?: { source?: { body?: unknown }; start?: unknown; end?: unknown } }

const UNKNOWN: OperationInfo = Object.freeze({ type: undefined, name: undefined });

/**
 * The operation `execute` will run: the one named `operationName`, or the only one in the
 * document. Mirrors graphql's own choice, so a document it rejects gives UNKNOWN.
 */
export function findOperation(document: unknown, operationName: unknown): OperationInfo {
  const definitions = (document as DocumentNode | null)?.definitions;
  if (!Array.isArray(definitions)) return UNKNOWN;
  let found: AstNode | undefined;
  for (const d of definitions as AstNode[]) {
    if (d === null || typeof d !== 'object' || d.kind !== 'OperationDefinition') continue;
    if (operationName == null) {
      if (found !== undefined) return UNKNOWN; // several operations and no name: graphql refuses
      found = d;
    } else if (d.name?.value === operationName) {
      found = d;
      break;
    }
  }
  if (found === undefined) return UNKNOWN;
  const name = found.name?.value;
  return {
    type: typeof found.operation === 'string' ? found.operation : undefined,
    name: typeof name === 'string' && name !== '' ? name : undefined,
  };
}

/** Longest graphql.document tag, in characters; longer documents are cut and end with '…'. */
export const MAX_DOCUMENT_LENGTH = 2048;

// One pass over the source, in GraphQL's lexical terms: block strings, strings, comments and
// numbers (not digits inside names such as `field2`). Strings become "*", numbers *, comments go.
const LITERALS = /"""(?:\\"""|[\s\S])*?"""|"(?:\\.|[^"\\\n\r])*"|#[^\n\r]*|(?<![\w.$])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

const masked = new WeakMap<object, string | null>();

/**
 * The document's source text with string and number literals masked, comments removed and
 * whitespace collapsed, cut to MAX_DOCUMENT_LENGTH; undefined when the document carries no
 * source (built in code, or parsed with noLocation). Cached per document: servers reuse them.
 */
export function maskedDocument(document: unknown): string | undefined {
  if (document === null || typeof document !== 'object') return undefined;
  const known = masked.get(document);
  if (known !== undefined) return known ?? undefined;
  let text: string | null = null;
  const loc = (document as DocumentNode).loc;
  const body = loc?.source?.body;
  if (typeof body === 'string') {
    const start = typeof loc?.start === 'number' ? loc.start : 0;
    const end = typeof loc?.end === 'number' ? loc.end : body.length;
    text = maskLiterals(body.slice(start, end));
  }
  masked.set(document, text);
  return text ?? undefined;
}

/** `source` with literal values masked (exported for tests). */
export function maskLiterals(source: string): string {
  const out = source
    .replace(LITERALS, (m) => (m.startsWith('#') ? ' ' : m.startsWith('"') ? '"*"' : '*'))
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > MAX_DOCUMENT_LENGTH ? `${out.slice(0, MAX_DOCUMENT_LENGTH - 1)}…` : out;
}
