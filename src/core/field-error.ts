/**
 * A value that cannot be used, with the field it came in: an argument, an option, a setting, a
 * URL parameter. `field` names it as the caller wrote it ('width', 'options.port', 'size');
 * `reason` says what was expected and what came. The message is "field: reason".
 *
 * It is a TypeError, as Node's own argument errors are, so `instanceof TypeError` still holds.
 * Whoever shows the error under another name reads `field` and `reason` rather than taking the
 * message apart: the command line prints "--size: …" for the setting 'size', and "--listen: …"
 * for the viewer's 'view' address.
 */
export class FieldError extends TypeError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
