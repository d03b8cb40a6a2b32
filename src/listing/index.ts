export type { ErrorBody, ErrorCode } from './errors.js';
export type { ListingOptions } from './options.js';
export { type ListingServer, startListingServer } from './server.js';
export type { PublicServer } from './store/types.js';
