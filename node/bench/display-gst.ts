/**
 * GStreamer's side of `g2g bench display` (run by node/bench/display.ts with Debian's python3 and gi):
 * a live pipeline ending in waylandsink; for every buffer that reaches the sink, one JSON line with its
 * capture time (videotestsrc's push) and its arrival at the sink, both CLOCK_MONOTONIC ns (weston's
 * timeline clock). Presentation itself is read from weston's timeline debug stream by the caller.
 */
export const GST_DISPLAY_SCRIPT = String.raw`import json, sys, time
import gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst, GLib

Gst.init(None)
sync, seconds, width, height, fps = sys.argv[1] == 'true', float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
now = time.monotonic_ns  # CLOCK_MONOTONIC, as weston's timeline
pipeline = Gst.parse_launch(
    f'videotestsrc name=src is-live=true pattern=ball ! video/x-raw,format=I420,width={width},height={height},framerate={fps}/1 '
    f'! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} ! avdec_h264 ! videoconvert ! video/x-raw,format=BGRx '
    f'! waylandsink name=sink sync={"true" if sync else "false"}'
)
captures = {}
first = []  # the first source pts, and the offset x264enc adds to pts (1000 h, room for negative dts)
out = sys.stdout

def on_src(pad, info):
    if not first:
        first.append(info.get_buffer().pts)
    captures[info.get_buffer().pts] = now()
    return Gst.PadProbeReturn.OK

def on_sink(pad, info):
    if len(first) == 1:
        first.append(info.get_buffer().pts - first[0])
    c = captures.pop(info.get_buffer().pts - first[1], None)
    if c is not None:
        out.write(json.dumps({'c': c, 'a': now()}) + '\n')
    return Gst.PadProbeReturn.OK

pipeline.get_by_name('src').get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, on_src)
pipeline.get_by_name('sink').get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, on_sink)
loop = GLib.MainLoop()
failed = []

def on_message(bus, msg):
    if msg.type == Gst.MessageType.ERROR:
        err, dbg = msg.parse_error()
        failed.append(f'{msg.src.get_name()}: {err.message}')
        loop.quit()

bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect('message', on_message)
pipeline.set_state(Gst.State.PLAYING)
GLib.timeout_add(int(seconds * 1000), loop.quit)
loop.run()
pipeline.set_state(Gst.State.NULL)
out.flush()
if failed:
    sys.stderr.write('GStreamer error: ' + failed[0] + '\n')
    sys.exit(1)
`;
