export * from './address.js';
export * from './error-codes.js';
export * from './grammar.js';
export * from './messages.js';
export * from './names.js';
export * from './rules.js';
