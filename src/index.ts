/**
 * The programmatic API (`import {devnet, datanet, OpenledgerClient} from 'openledger'`): the same domain functions the
 * commands call, grouped by domain. Each group is a namespace so that names never collide across
 * domains. The CLI itself never imports this file: it loads only what each command needs.
 */
export * as attribution from './attribution/index.js'
export * as datanet from './datanet/index.js'
export * as devnet from './devnet/index.js'
export * as model from './model/index.js'
export * as config from './config/index.js'
export {DEV_ACCOUNT_COUNT, DEV_MNEMONIC, DEV_ROLES, devAccounts, isDevAddress, type DevAccount} from './chain/dev-accounts.js'
export {DEVNET_L1_CHAIN_ID, DEVNET_L2_CHAIN_ID, NETWORK_NAMES, type NetworkName} from './chain/network-names.js'
export * from './errors.js'
export * as client from './client/index.js'
export {OpenledgerClient} from './client/index.js'
