// Wait deadlines through the daemon's timerfds.
import { clientSuite } from './helpers/client-suite';

clientSuite('deadlines', 'deadlines through the daemon');
