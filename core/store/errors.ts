/**
 * The one error type `core/store` throws. Its message is one line meant for the user as is: it names the
 * store file when the file is the problem and says what to do. `reason` lets a front end choose a dialog or
 * a retry button without parsing the message.
 */
export type StoreErrorReason =
  /** The file is not a SQLite database, or is another application's. */
  | 'not-a-store'
  /** The file is a SQLite database but damaged (truncated, overwritten). */
  | 'corrupt'
  /** A newer Headroom wrote the store; it is open read-only and refuses writes. */
  | 'newer-version'
  /** The file cannot be opened or written: permissions, a folder in its place, a full disk, I/O errors. */
  | 'unavailable'
  /** Another process held the store's write lock for longer than the busy timeout. */
  | 'busy'
  | 'closed'
  /** A caller's input failed validation. */
  | 'invalid'
  | 'not-found'
  | 'duplicate-name'
  | 'too-large'
  /** A connection's secrets cannot be opened with the SecretBox this process was given (or none). */
  | 'secret-unavailable'
  /** Neither `HEADROOM_STORE` nor the variables naming the user's config folder are set. */
  | 'no-location';

export class StoreError extends Error {
  readonly reason: StoreErrorReason;

  constructor(reason: StoreErrorReason, message: string) {
    super(message);
    this.name = 'StoreError';
    this.reason = reason;
  }
}
