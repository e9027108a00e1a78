/**
 * @module The two ways a filtered request can fail, kept apart so that each is logged and
 * answered as what it is (filter-server.ts `answerFailure`): the filter refused it, or the
 * daemon could not be reached or would not do it.
 */

/** A refusal by the filter: the status and the reason the client (and the log) get. */
export class FilterError extends Error {
  readonly status: number;
  constructor(status: number, reason: string) {
    super(reason);
    this.status = status;
  }
}

/** The daemon could not be reached, failed mid-request, or refused what the filter allowed. */
export class DaemonError extends Error {
  /** The daemon's own status when it answered; 502 when it did not. */
  readonly status: number;
  constructor(message: string, status = 502) {
    super(message);
    this.status = status;
  }
}
