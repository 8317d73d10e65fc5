/** Anything a client sent that does not parse: the session answers BAD and goes on (RFC 9051 7.1.5). */
export class ImapSyntaxError extends SyntaxError {
  constructor(message: string) {
    super(message)
    this.name = 'ImapSyntaxError'
  }
}
