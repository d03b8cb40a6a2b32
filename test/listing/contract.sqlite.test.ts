/** The listing contract suite (contract §7) against the SQLite store. */
import { sqliteBackend } from './helpers/backends.js';
import { contractSuite } from './suite/index.js';

contractSuite(sqliteBackend);
