#!/usr/bin/python3
"""gst-rtsp-server for the RTSP tests: binds a free port (port 0), prints `PORT <n>` once listening.
Mounts: /live (live SMPTE test pattern, shared), /file (an MP4 given with --file, not shared),
/secure (as /live, needs --auth USER:PASS and --auth-method basic or digest). Exits when stdin closes, so a test
that dies never leaves it behind."""
import argparse, sys, threading, os
import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
gi.require_version('GstRtsp', '1.0')
from gi.repository import Gst, GstRtsp, GstRtspServer, GLib

ap = argparse.ArgumentParser()
ap.add_argument('--port', default='0')
ap.add_argument('--fps', type=int, default=30)
ap.add_argument('--file')
ap.add_argument('--auth')
ap.add_argument('--auth-method', default='basic', choices=['basic', 'digest'])
a = ap.parse_args()
Gst.init(None)

live = ('( videotestsrc is-live=true pattern=smpte ! video/x-raw,width=320,height=240,framerate=%d/1 ! '
        'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d sliced-threads=false ! '
        'video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 config-interval=-1 )' % (a.fps, a.fps))
server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(a.port)
mounts = server.get_mount_points()

def role(name, construct):
    return Gst.Structure.from_string('%s, media.factory.access=(boolean)true, media.factory.construct=(boolean)%s' % (name, 'true' if construct else 'false'))[0]

def factory(launch, shared, secure=False):
    f = GstRtspServer.RTSPMediaFactory()
    f.set_launch(launch)
    f.set_shared(shared)
    if a.auth:
        # With an RTSPAuth on the server every mount needs permissions; the anonymous role must have access
        # (else a missing login is answered 404, not 401) but may construct only the open mounts.
        perm = GstRtspServer.RTSPPermissions()
        perm.add_role_from_structure(role('user', True))
        perm.add_role_from_structure(role('anonymous', not secure))
        f.set_permissions(perm)
    return f

mounts.add_factory('/live', factory(live, True))
if a.file:
    mounts.add_factory('/file', factory('( filesrc location=%s ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )' % a.file, False))
if a.auth:
    user, pw = a.auth.split(':', 1)
    auth = GstRtspServer.RTSPAuth()
    tok = GstRtspServer.RTSPToken()
    tok.set_string('media.factory.role', 'user')
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, pw), tok)
    auth.add_digest(user, pw, tok)
    # PyGObject cannot pass BASIC|DIGEST (an enum, not flags, in the typelib): one method per server.
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST if a.auth_method == 'digest' else GstRtsp.RTSPAuthMethod.BASIC)
    anon = GstRtspServer.RTSPToken()
    anon.set_string('media.factory.role', 'anonymous')
    auth.set_default_token(anon)
    server.set_auth(auth)
    mounts.add_factory('/secure', factory(live, True, secure=True))

loop = GLib.MainLoop()
if server.attach(None) == 0:
    sys.exit('attach failed')
print('PORT %d' % server.get_bound_port(), flush=True)

def watch_stdin():
    try:
        sys.stdin.read()
    finally:
        GLib.idle_add(loop.quit)
threading.Thread(target=watch_stdin, daemon=True).start()
loop.run()
os._exit(0)
