// A case's verdict: an expectation that did not hold. Any other exception thrown by a case is
// reported too, as an error in the case.
export class CaseFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaseFailure';
  }
}

export function fail(message: string): never {
  throw new CaseFailure(message);
}
