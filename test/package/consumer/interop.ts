// glass2glass/interop once rxjs and ix are installed (compiled and run in a second step of scripts/test-package.sh).
import { fakeSrc } from 'glass2glass/operators';
import { toAsyncIterable, toObservable } from 'glass2glass/interop';
import { lastValueFrom, count } from 'rxjs';

const viaRx = await lastValueFrom(toObservable(fakeSrc({ numBuffers: 5 })).pipe(count()));
let viaIx = 0;
for await (const _ of toAsyncIterable(fakeSrc({ numBuffers: 4 }))) viaIx++;
if (viaRx !== 5 || viaIx !== 4) throw new Error(`interop: ${viaRx} packets via rxjs, ${viaIx} via ix`);
console.log('ok - glass2glass/interop with rxjs and ix');
