/**
 * The one error base. Every error Ketang throws on purpose carries a code (why,
 * for code to act on) beside its message (what happened, in English for logs);
 * the subclasses only name their set of codes and any extra field. `name` is
 * set by each subclass as a literal so it survives minification: the table
 * from error codes to protocol codes (main/classroom/errors.ts) reads it.
 */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
