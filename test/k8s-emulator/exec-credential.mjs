// A stand-in for a cloud credential plugin (aws eks get-token, gke-gcloud-auth-plugin, kubelogin): the
// emulator's kubeconfig names it as a user's `exec` command. It prints an ExecCredential with the token the
// kubeconfig passes in EMULATOR_EXEC_TOKEN, or fails the way an expired cloud login does.
if (process.env.EMULATOR_EXEC_FAIL) {
  process.stderr.write('error: the SSO session has expired or is invalid; run "aws sso login" to refresh it\n');
  process.exit(1);
}
const credential = {
  apiVersion: 'client.authentication.k8s.io/v1',
  kind: 'ExecCredential',
  status: {
    token: process.env.EMULATOR_EXEC_TOKEN,
    expirationTimestamp: new Date(Date.now() + 60 * 60 * 1000).toISOString(),
  },
};
process.stdout.write(JSON.stringify(credential));
