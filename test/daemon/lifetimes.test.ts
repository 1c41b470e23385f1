// Lifetimes of devices and objects follow their open files.
import { clientSuite } from './helpers/client-suite';

clientSuite('lifetimes', 'lifetimes of devices and objects');
