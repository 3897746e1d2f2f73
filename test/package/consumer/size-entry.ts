// One core function in a browser bundle (scripts/test-package.sh measures it minified).
import { Caps } from 'glass2glass';

document.body.textContent = Caps.parse('video/x-raw, format=(string)I420, width=(int)[ 1, 4096 ]')
  .intersect(Caps.parse('video/x-raw, width=(int)640'))
  .toString();
