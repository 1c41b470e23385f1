// WAIT_ANY / WAIT_ALL through the daemon, blocking waits woken by other threads.
import { clientSuite } from './helpers/client-suite';

clientSuite('waits', 'waits through the daemon');
