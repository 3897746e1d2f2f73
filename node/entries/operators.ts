// `glass2glass/operators` under Node (the `node` export condition): the operators, with the Node host installed.
import { installNodeHost } from '../host';

installNodeHost();
export * from '../../operators/index';
