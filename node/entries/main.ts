// `glass2glass` under Node (the `node` export condition): the core entry, with the Node host installed.
import { installNodeHost } from '../host';

installNodeHost();
export * from '../../operators/entry';
