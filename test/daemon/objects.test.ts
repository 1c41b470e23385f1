// Object ioctls through /dev/fuse and back: the C client runs the ABI's checks.
import { clientSuite } from './helpers/client-suite';

clientSuite('objects', 'objects through the daemon');
