// Signals during blocked waits: FUSE_INTERRUPT answered with -ERESTARTSYS.
import { clientSuite } from './helpers/client-suite';

clientSuite('signals', 'signals during waits');
