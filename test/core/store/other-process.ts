/**
 * A second Headroom process for the store's concurrency test: opens the store named on the command line,
 * prints the reasons of the silences it sees, then adds one of its own.
 */
import { openStore } from '../../../core/store/open';

const [file, expiresAt] = process.argv.slice(2);
const store = openStore(file as string);
const seen = store.silences.list().map((silence) => silence.reason);
store.silences.add({ rule: 'cpu-throttled', target: null, reason: 'from the other process', expiresAt: Number(expiresAt) });
store.close();
process.stdout.write(JSON.stringify(seen));
