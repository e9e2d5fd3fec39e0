/**
 * The one error type `core/kubernetes` throws. Its message is meant for the user as is: it says what is
 * wrong and what to do about it, and never carries a stack trace or a library's raw output. `reason` lets a
 * front end pick an icon or a retry button without parsing the message.
 */
export type KubernetesErrorReason =
  | 'kubeconfig-not-found'
  | 'kubeconfig-invalid'
  | 'context-not-found'
  | 'context-incomplete'
  | 'credentials-failed'
  | 'unauthorized'
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'folder-not-found';

export class KubernetesError extends Error {
  readonly reason: KubernetesErrorReason;

  constructor(reason: KubernetesErrorReason, message: string) {
    super(message);
    this.name = 'KubernetesError';
    this.reason = reason;
  }
}
