/*
 * The thin C layer between Rust and libavcodec. It exists for ABI safety without bindgen: every struct
 * field access (AVCodecContext, AVFrame, AVPacket) is compiled against the system's own FFmpeg headers,
 * so Rust sees only this file's small, stable, plain-C interface (see ffi.rs). Threading, backend choice,
 * buffering, format packing and what to do about an error are decided in Rust. The policy that lives here
 * is what cannot be carried out without FFmpeg's structs:
 *  - frame memory: software pictures and NVDEC downloads go in one zeroed block each (get_buffer,
 *    thread-safe; download), blocks reference-counted apart from the AVBufferRef so that JS views may
 *    outlive it (G2gBlock);
 *  - device contexts are made here and referenced by decoders (which ones share is hwdevice.rs's choice);
 *    a CUDA decoder's own stream rides on a context of its own wrapping the shared one (cuda.rs);
 *  - a hardware decoder falls back to software for a stream its hardware refuses (pick_hw_format);
 *  - timestamps stay in nanoseconds (1/1e9 time bases; a frame without pts takes best_effort_timestamp);
 *  - encoder rate control: a bitrate means ABR with a one-second VBV, else crf; an option the encoder
 *    did not take is an error, not ignored.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

/* Pixel layouts Rust knows how to pack; anything else is reported by name. */
#define G2G_FMT_OTHER -1
#define G2G_FMT_YUV420P 0
#define G2G_FMT_NV12 1

/* Hardware device types, as Rust names them (mapped to AVHWDeviceType here). */
#define G2G_HW_NONE 0
#define G2G_HW_CUDA 1
#define G2G_HW_VAAPI 2

static void set_err(char *err, int errlen, const char *what, int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (!err || errlen <= 0) return;
  if (code) {
    av_strerror(code, buf, sizeof buf);
    snprintf(err, (size_t)errlen, "%s: %s", what, buf);
  } else {
    snprintf(err, (size_t)errlen, "%s", what);
  }
}

void g2g_set_log_level(int level) { av_log_set_level(level); }

const char *g2g_version(void) { return av_version_info(); }

unsigned g2g_avcodec_version(void) { return avcodec_version(); }

static enum AVHWDeviceType hw_type(int t) {
  switch (t) {
  case G2G_HW_CUDA: return AV_HWDEVICE_TYPE_CUDA;
  case G2G_HW_VAAPI: return AV_HWDEVICE_TYPE_VAAPI;
  default: return AV_HWDEVICE_TYPE_NONE;
  }
}

int g2g_has_decoder(const char *name) { return avcodec_find_decoder_by_name(name) != NULL; }
int g2g_has_encoder(const char *name) { return avcodec_find_encoder_by_name(name) != NULL; }

/* Whether `lib` can be loaded (the driver libraries FFmpeg itself loads at run time). */
int g2g_can_dlopen(const char *lib, char *err, int errlen) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    set_err(err, errlen, e ? e : lib, 0);
    return 0;
  }
  dlclose(h);
  return 1;
}


/* ---------------------------------------------------------------- device contexts */

/*
 * Device contexts are created here and shared by decoders (hwdevice.rs keeps the process-wide cache):
 * g2g_dec_open takes a reference to one instead of creating a context per decoder.
 */
AVBufferRef *g2g_hwdevice_create(int type, const char *device, char *err, int errlen) {
  AVBufferRef *dev = NULL;
  enum AVHWDeviceType t = hw_type(type);
  if (t == AV_HWDEVICE_TYPE_NONE) { set_err(err, errlen, "unknown device type", 0); return NULL; }
  int r = av_hwdevice_ctx_create(&dev, t, device, NULL, 0);
  if (r < 0) { set_err(err, errlen, "av_hwdevice_ctx_create", r); return NULL; }
  return dev;
}

/* Creates (and frees) a device of this type: the run-time check that a GPU and its driver are usable. */
int g2g_probe_hw_device(int type, const char *device, char *err, int errlen) {
  AVBufferRef *dev = g2g_hwdevice_create(type, device, err, errlen);
  if (!dev) return 0;
  av_buffer_unref(&dev);
  return 1;
}

AVBufferRef *g2g_hwdevice_ref(AVBufferRef *dev) { return av_buffer_ref(dev); }

void g2g_hwdevice_unref(AVBufferRef *dev) { av_buffer_unref(&dev); }

/*
 * libavutil/hwcontext_cuda.h's AVCUDADeviceContext (public and unchanged since FFmpeg 4.0), restated:
 * Debian's libavutil-dev leaves that header out, as it includes CUDA's own cuda.h. Only read or written
 * behind a check that the device context is a CUDA one.
 */
typedef struct G2gCudaDeviceContext {
  void *cuda_ctx; /* CUcontext */
  void *stream;   /* CUstream */
  void *internal;
} G2gCudaDeviceContext;

static G2gCudaDeviceContext *cuda_hwctx(AVBufferRef *dev) {
  AVHWDeviceContext *dc = dev ? (AVHWDeviceContext *)dev->data : NULL;
  return dc && dc->type == AV_HWDEVICE_TYPE_CUDA ? dc->hwctx : NULL;
}

/* The CUcontext of a CUDA device context; NULL for another type. */
void *g2g_hwdevice_cuda_ctx(AVBufferRef *dev) {
  G2gCudaDeviceContext *h = cuda_hwctx(dev);
  return h ? h->cuda_ctx : NULL;
}

typedef void (*g2g_stream_release)(void *stream, void *cuda_ctx);

typedef struct G2gCudaWrap {
  AVBufferRef *shared;
  void *stream, *cuda_ctx;
  g2g_stream_release release;
} G2gCudaWrap;

/* libavutil frees the wrapper after its own uninit (which leaves a context it did not create alone). */
static void cuda_wrap_free(AVHWDeviceContext *dc) {
  G2gCudaWrap *w = dc->user_opaque;
  if (!w) return;
  w->release(w->stream, w->cuda_ctx);
  av_buffer_unref(&w->shared);
  free(w);
  dc->user_opaque = NULL;
}

/*
 * A CUDA device context of one decoder's own: `shared`'s CUcontext with `stream`, libavutil's public way
 * to bring both (alloc, set cuda_ctx and stream, init; the context stays `shared`'s, which this one keeps
 * a reference to). When libavutil frees it, `release(stream, cuda_ctx)` runs, then `shared` is let go.
 * libavcodec's nvdec reads the stream when the decoder is made (picture mapping, copies) and the CUDA
 * download uses it (cuMemcpy2DAsync, cuStreamSynchronize). On failure the stream stays the caller's.
 */
AVBufferRef *g2g_hwdevice_cuda_wrap(AVBufferRef *shared, void *stream, g2g_stream_release release, char *err, int errlen) {
  G2gCudaDeviceContext *sh = cuda_hwctx(shared);
  if (!sh || !release) { set_err(err, errlen, "not a CUDA device context", 0); return NULL; }
  AVBufferRef *dev = av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_CUDA);
  G2gCudaWrap *w = calloc(1, sizeof *w);
  if (!dev || !w) { set_err(err, errlen, "out of memory", 0); av_buffer_unref(&dev); free(w); return NULL; }
  AVHWDeviceContext *dc = (AVHWDeviceContext *)dev->data;
  G2gCudaDeviceContext *h = dc->hwctx;
  h->cuda_ctx = sh->cuda_ctx;
  h->stream = stream;
  int r = av_hwdevice_ctx_init(dev);
  if (r < 0) { set_err(err, errlen, "av_hwdevice_ctx_init", r); av_buffer_unref(&dev); free(w); return NULL; }
  w->shared = av_buffer_ref(shared);
  if (!w->shared) { set_err(err, errlen, "out of memory", 0); av_buffer_unref(&dev); free(w); return NULL; }
  w->stream = stream;
  w->cuda_ctx = sh->cuda_ctx;
  w->release = release;
  dc->user_opaque = w;
  dc->free = cuda_wrap_free;
  return dev;
}

/* ---------------------------------------------------------------- decoder */

/*
 * The bytes behind one pool buffer, reference-counted apart from libavcodec's AVBufferRef. A frame handed
 * to JS with a lease gives its AVBufferRef back as soon as JS releases the frame, so the codec reuses the
 * buffer at once; the block's JS ArrayBuffer, which may outlive the lease and the decoder, holds a block
 * reference that keeps the memory itself allocated (a late read sees a newer picture, never freed memory).
 */
typedef struct G2gBlock {
  atomic_int refs;
  uint32_t magic;
  size_t size;
} G2gBlock;

#define G2G_BLOCK_MAGIC 0x67326762u
/* The data follows the header at av_malloc's own alignment (at most 64). */
#define G2G_BLOCK_HEAD 64
_Static_assert(sizeof(G2gBlock) <= G2G_BLOCK_HEAD, "block header fits before the data");

void g2g_block_unref(G2gBlock *b) {
  if (!b || atomic_fetch_sub(&b->refs, 1) != 1) return;
  av_free(b);
}

/* References to the block now: 1 when its holder's is the last (the codec's pool let it go). */
int g2g_block_refs(const G2gBlock *b) { return b ? atomic_load(&b->refs) : 0; }

static void block_free(void *opaque, uint8_t *data) {
  (void)data;
  g2g_block_unref(opaque);
}

/*
 * Software frames are allocated here (get_buffer2) with every plane in one buffer, instead of libavcodec's
 * default of one pool per plane: a decoded frame can then be handed to JS as one external buffer with
 * plane offsets and strides (VIDEO_META), without packing it. Layout rules are libavcodec's own
 * (avcodec_align_dimensions2, linesize alignment, SIMD over-read padding after each plane).
 */
typedef struct G2gFramePool {
  pthread_mutex_t lock; /* frame threads may allocate concurrently (libavcodec 60+ no longer serialises them) */
  AVBufferPool *pool;
  int width, height, format;
  int linesize[4];
  size_t offset[4];
  int planes;
  atomic_ullong allocs, gets;
} G2gFramePool;

typedef struct G2gDec {
  AVCodecContext *ctx;
  AVPacket *pkt;
  AVFrame *frame;
  AVFrame *sw; /* hardware frames are transferred here */
  int sw_in_block; /* sw was downloaded into one of fp's blocks */
  enum AVPixelFormat hw_pix_fmt;
  G2gFramePool fp;
} G2gDec;

typedef struct G2gFrameInfo {
  int width, height, format;
  const char *format_name;
  uint8_t *data[4];
  int linesize[4];
  int64_t pts;
  int key, corrupt;
} G2gFrameInfo;

static enum AVPixelFormat pick_hw_format(AVCodecContext *ctx, const enum AVPixelFormat *fmts) {
  G2gDec *d = ctx->opaque;
  for (const enum AVPixelFormat *p = fmts; *p != AV_PIX_FMT_NONE; p++)
    if (*p == d->hw_pix_fmt) return *p;
  /* The hardware cannot do this stream (profile, size): fall back to software rather than fail. */
  return fmts[0] == d->hw_pix_fmt ? AV_PIX_FMT_NONE : avcodec_default_get_format(ctx, fmts);
}

/* Bytes after each plane: libavcodec's own pool adds 16 + STRIDE_ALIGN - 1 for SIMD over-reads. */
#define G2G_PLANE_PAD (16 + 64)
#define G2G_ALIGN(x, a) (((x) + (a) - 1) & ~((size_t)(a) - 1))

/* Zeroed, as libavcodec's own pool: JS sees the padding too, and a damaged stream may read unwritten areas. */
static AVBufferRef *pool_alloc(void *opaque, size_t size) {
  G2gFramePool *fp = opaque;
  G2gBlock *b = av_mallocz(G2G_BLOCK_HEAD + size);
  if (!b) return NULL;
  atomic_init(&b->refs, 1);
  b->magic = G2G_BLOCK_MAGIC;
  b->size = size;
  AVBufferRef *r = av_buffer_create((uint8_t *)b + G2G_BLOCK_HEAD, size, block_free, b, 0);
  if (!r) {
    g2g_block_unref(b);
    return NULL;
  }
  atomic_fetch_add(&fp->allocs, 1);
  return r;
}

/* (Re)lays out the pool for frames of this size and format; called with fp->lock held. */
static int pool_setup(G2gFramePool *fp, AVCodecContext *c, int width, int height, enum AVPixelFormat fmt) {
  int w = width, h = height, align[AV_NUM_DATA_POINTERS], linesize[4];
  avcodec_align_dimensions2(c, &w, &h, align);
  /* As libavcodec's update_frame_pool: widen until every plane's linesize meets its alignment. */
  for (;;) {
    int r = av_image_fill_linesizes(linesize, fmt, w), unaligned = 0;
    if (r < 0) return r;
    for (int i = 0; i < 4; i++) unaligned |= linesize[i] % align[i];
    if (!unaligned) break;
    w += w & ~(w - 1);
  }
  ptrdiff_t ls[4];
  size_t sizes[4];
  for (int i = 0; i < 4; i++) ls[i] = linesize[i];
  int r = av_image_fill_plane_sizes(sizes, fmt, h, ls);
  if (r < 0) return r;
  size_t off = 0;
  fp->planes = 0;
  for (int i = 0; i < 4; i++) {
    fp->linesize[i] = linesize[i];
    fp->offset[i] = off;
    if (sizes[i]) {
      fp->planes = i + 1;
      off = G2G_ALIGN(off + sizes[i] + G2G_PLANE_PAD, 64);
    }
  }
  /* Buffers still out (in JS, or references) keep the old pool alive until they come back. */
  av_buffer_pool_uninit(&fp->pool);
  fp->pool = av_buffer_pool_init2(off, fp, pool_alloc, NULL);
  if (!fp->pool) return AVERROR(ENOMEM);
  fp->width = width;
  fp->height = height;
  fp->format = fmt;
  return 0;
}

/* Whether get_buffer puts frames like `f` in the pool's blocks (else libavcodec's default allocator). */
static int in_blocks(const AVCodecContext *c, const AVFrame *f) {
  return !c->hw_frames_ctx && (c->codec->capabilities & AV_CODEC_CAP_DR1) && f->width > 0 && f->height > 0 &&
         (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P || f->format == AV_PIX_FMT_NV12);
}

/* Points `f`'s planes into a block of the pool, laid out for f's size and format. */
static int block_frame(AVCodecContext *c, G2gFramePool *fp, AVFrame *f) {
  pthread_mutex_lock(&fp->lock);
  int r = 0;
  if (!fp->pool || fp->width != f->width || fp->height != f->height || fp->format != f->format)
    r = pool_setup(fp, c, f->width, f->height, f->format);
  AVBufferRef *b = r < 0 ? NULL : av_buffer_pool_get(fp->pool);
  int linesize[4];
  size_t offset[4];
  memcpy(linesize, fp->linesize, sizeof linesize);
  memcpy(offset, fp->offset, sizeof offset);
  int planes = fp->planes;
  pthread_mutex_unlock(&fp->lock);
  if (r < 0) return r;
  if (!b) return AVERROR(ENOMEM);
  atomic_fetch_add(&fp->gets, 1);
  f->buf[0] = b;
  for (int i = 0; i < planes; i++) {
    f->data[i] = b->data + offset[i];
    f->linesize[i] = linesize[i];
  }
  f->extended_data = f->data;
  return 0;
}

static int get_buffer(AVCodecContext *c, AVFrame *f, int flags) {
  G2gDec *d = c->opaque;
  if (!in_blocks(c, f)) return avcodec_default_get_buffer2(c, f, flags);
  return block_frame(c, &d->fp, f);
}

void g2g_dec_close(G2gDec *d) {
  if (!d) return;
  avcodec_free_context(&d->ctx);
  av_packet_free(&d->pkt);
  av_frame_free(&d->frame);
  av_frame_free(&d->sw);
  av_buffer_pool_uninit(&d->fp.pool);
  pthread_mutex_destroy(&d->fp.lock);
  free(d);
}

/* Buffers the one-block pool allocated, and frames it handed out (reused = gets - allocs). */
void g2g_dec_pool_counts(G2gDec *d, uint64_t *allocs, uint64_t *gets) {
  *allocs = atomic_load(&d->fp.allocs);
  *gets = atomic_load(&d->fp.gets);
}

/*
 * thread_type: 1 frame threads (throughput), 2 slice threads (live: no frame delay).
 * low_delay sets AV_CODEC_FLAG_LOW_DELAY (output as soon as decodable, no reorder buffering beyond what
 * the stream signals). hw: G2G_HW_*; the software h264 decoder then runs the hwaccel (nvdec, vaapi) on
 * `hw_device`, a device context shared with other decoders (referenced here, not created).
 */
int g2g_dec_open(G2gDec **out, const char *codec_name, int threads, int thread_type, int low_delay, int output_corrupt,
                 const uint8_t *extradata, int extradata_size, int hw, AVBufferRef *hw_device, char *err, int errlen) {
  *out = NULL;
  const AVCodec *codec = avcodec_find_decoder_by_name(codec_name);
  if (!codec) { set_err(err, errlen, "decoder not in this libavcodec", 0); return AVERROR_DECODER_NOT_FOUND; }
  G2gDec *d = calloc(1, sizeof *d);
  if (!d) return AVERROR(ENOMEM);
  pthread_mutex_init(&d->fp.lock, NULL);
  d->ctx = avcodec_alloc_context3(codec);
  d->pkt = av_packet_alloc();
  d->frame = av_frame_alloc();
  d->sw = av_frame_alloc();
  if (!d->ctx || !d->pkt || !d->frame || !d->sw) { g2g_dec_close(d); return AVERROR(ENOMEM); }
  AVCodecContext *c = d->ctx;
  c->opaque = d;
  c->get_buffer2 = get_buffer;
#if FF_API_THREAD_SAFE_CALLBACKS
  /* get_buffer is thread-safe. Unmarked, FFmpeg 5 hands every frame thread's allocation to the thread
   * that calls send/receive and waits for it: slower, and NVDEC then runs out of decoder surfaces. */
  c->thread_safe_callbacks = 1;
#endif
  c->thread_count = threads;
  c->thread_type = thread_type == 2 ? FF_THREAD_SLICE : FF_THREAD_FRAME;
  if (low_delay) c->flags |= AV_CODEC_FLAG_LOW_DELAY;
  if (output_corrupt) c->flags |= AV_CODEC_FLAG_OUTPUT_CORRUPT;
  c->pkt_timebase = (AVRational){1, 1000000000};
  if (extradata && extradata_size > 0) {
    c->extradata = av_mallocz((size_t)extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!c->extradata) { g2g_dec_close(d); return AVERROR(ENOMEM); }
    memcpy(c->extradata, extradata, (size_t)extradata_size);
    c->extradata_size = extradata_size;
  }
  int r;
  if (hw != G2G_HW_NONE) {
    enum AVHWDeviceType t = hw_type(hw);
    d->hw_pix_fmt = AV_PIX_FMT_NONE;
    for (int i = 0;; i++) {
      const AVCodecHWConfig *cfg = avcodec_get_hw_config(codec, i);
      if (!cfg) break;
      if ((cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && cfg->device_type == t) { d->hw_pix_fmt = cfg->pix_fmt; break; }
    }
    if (d->hw_pix_fmt == AV_PIX_FMT_NONE) { set_err(err, errlen, "decoder has no hwaccel for this device type", 0); g2g_dec_close(d); return AVERROR(ENOSYS); }
    if (!hw_device) { set_err(err, errlen, "no device context for a hardware decoder", 0); g2g_dec_close(d); return AVERROR(EINVAL); }
    c->hw_device_ctx = av_buffer_ref(hw_device);
    if (!c->hw_device_ctx) { g2g_dec_close(d); return AVERROR(ENOMEM); }
    c->get_format = pick_hw_format;
  }
  r = avcodec_open2(c, codec, NULL);
  if (r < 0) { set_err(err, errlen, "avcodec_open2", r); g2g_dec_close(d); return r; }
  *out = d;
  return 0;
}

/* data == NULL enters draining (end of stream). The bytes are copied once into a padded packet. */
int g2g_dec_send(G2gDec *d, const uint8_t *data, int size, int64_t pts, int64_t dts, int key) {
  if (!data) return avcodec_send_packet(d->ctx, NULL);
  av_packet_unref(d->pkt);
  int r = av_new_packet(d->pkt, size);
  if (r < 0) return r;
  memcpy(d->pkt->data, data, (size_t)size);
  d->pkt->pts = pts;
  d->pkt->dts = dts;
  if (key) d->pkt->flags |= AV_PKT_FLAG_KEY;
  r = avcodec_send_packet(d->ctx, d->pkt);
  av_packet_unref(d->pkt);
  return r;
}

/* Discards decoder state (after a seek or a DISCONT the caller wants to restart cleanly). */
void g2g_dec_flush(G2gDec *d) { avcodec_flush_buffers(d->ctx); }

static void frame_info(const AVFrame *f, G2gFrameInfo *info) {
  info->width = f->width;
  info->height = f->height;
  switch (f->format) {
  case AV_PIX_FMT_YUV420P:
  case AV_PIX_FMT_YUVJ420P: info->format = G2G_FMT_YUV420P; break;
  case AV_PIX_FMT_NV12: info->format = G2G_FMT_NV12; break;
  default: info->format = G2G_FMT_OTHER;
  }
  info->format_name = av_get_pix_fmt_name(f->format);
  for (int i = 0; i < 4; i++) { info->data[i] = f->data[i]; info->linesize[i] = f->linesize[i]; }
  info->pts = f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
  info->key = f->key_frame;
  info->corrupt = f->decode_error_flags != 0 || (f->flags & AV_FRAME_FLAG_CORRUPT) != 0;
}

/* The frame received last (system memory). */
static AVFrame *current(G2gDec *d) { return d->sw->buf[0] ? d->sw : d->frame; }

/*
 * The hardware frame received last into system memory (d->sw). NV12 (what NVDEC gives for 8-bit video)
 * goes into one of the pool's blocks, so it leaves leased and its buffer is reused as a software frame's
 * is; another format into a fresh buffer of libavutil's (av_frame_get_buffer) each time.
 */
static int download(G2gDec *d) {
  AVFrame *hw = d->frame, *sw = d->sw;
  const AVHWFramesContext *fc = (const AVHWFramesContext *)hw->hw_frames_ctx->data;
  d->sw_in_block = 0;
  if (fc->sw_format == AV_PIX_FMT_NV12 && hw->width > 0 && hw->height > 0) {
    sw->format = fc->sw_format;
    sw->width = hw->width;
    sw->height = hw->height;
    int r = block_frame(d->ctx, &d->fp, sw);
    if (r < 0) return r;
    d->sw_in_block = 1;
  }
  /* With sw's buffer set, libavutil copies into it (only the frame's own rows, at sw's strides). */
  int r = av_hwframe_transfer_data(sw, hw, 0);
  if (r < 0) return r;
  return av_frame_copy_props(sw, hw);
}

/* 0: a frame is in `info` (valid until the next call); AVERROR(EAGAIN): needs input; AVERROR_EOF: drained. */
int g2g_dec_receive(G2gDec *d, G2gFrameInfo *info) {
  av_frame_unref(d->frame);
  av_frame_unref(d->sw);
  d->sw_in_block = 0;
  int r = avcodec_receive_frame(d->ctx, d->frame);
  if (r < 0) return r;
  if (d->frame->hw_frames_ctx) {
    r = download(d);
    if (r < 0) return r;
  }
  frame_info(current(d), info);
  return 0;
}

/*
 * Takes the frame received last out of the decoder as a reference of its own (no copy): `info` stays
 * valid until g2g_frame_free, whatever the decoder does meanwhile, so another thread can pack it.
 */
AVFrame *g2g_dec_take(G2gDec *d) {
  AVFrame *f = av_frame_alloc();
  if (f) av_frame_move_ref(f, current(d));
  return f;
}

void g2g_frame_free(AVFrame *f) { av_frame_free(&f); }

/*
 * A reference of its own to the one buffer that holds every plane of the frame received last (NULL when
 * its planes are in several buffers, as libavcodec's default allocator makes them), with that buffer's
 * extent: the frame can then leave as this buffer plus plane offsets, without a copy. Released with
 * g2g_buffer_unref. When the buffer is one of the pool's blocks (a software frame, a download), *block is
 * a reference to it too (g2g_block_unref), else NULL.
 */
AVBufferRef *g2g_dec_share(G2gDec *d, const uint8_t **base, size_t *size, G2gBlock **block) {
  AVFrame *f = current(d);
  *block = NULL;
  AVBufferRef *b = f->buf[0];
  if (!b || f->buf[1] || f->hw_frames_ctx) return NULL;
  int planes = av_pix_fmt_count_planes(f->format);
  if (planes <= 0 || planes > 4) return NULL;
  for (int i = 0; i < planes; i++)
    if (!f->data[i] || f->data[i] < b->data || f->data[i] >= b->data + b->size) return NULL;
  AVBufferRef *r = av_buffer_ref(b);
  if (!r) return NULL;
  *base = r->data;
  *size = r->size;
  /* A software frame get_buffer placed, or a download into a block, is in one of our blocks, whose
   * header sits just before the data; the magic is a consistency check, not the test. */
  if ((f == d->frame && in_blocks(d->ctx, f)) || (f == d->sw && d->sw_in_block)) {
    G2gBlock *k = (G2gBlock *)(r->data - G2G_BLOCK_HEAD);
    if (k->magic == G2G_BLOCK_MAGIC && k->size == (size_t)r->size) {
      atomic_fetch_add(&k->refs, 1);
      *block = k;
    }
  }
  return r;
}

void g2g_buffer_unref(AVBufferRef *b) { av_buffer_unref(&b); }

/* ---------------------------------------------------------------- encoder */

typedef struct G2gEnc {
  AVCodecContext *ctx;
  AVPacket *pkt;
  AVFrame *frame;
  int width, height, nv12;
} G2gEnc;

typedef struct G2gEncConfig {
  const char *codec;
  int width, height, nv12;
  int fps_num, fps_den;
  int64_t bitrate; /* bits/s; 0: use crf */
  double crf;      /* < 0: encoder default */
  int gop;         /* <= 0: encoder default */
  int bframes;     /* < 0: encoder default */
  int threads;
  const char *preset, *tune, *profile, *params; /* NULL: unset */
} G2gEncConfig;

typedef struct G2gPacketInfo {
  const uint8_t *data;
  int size;
  int64_t pts, dts;
  int key;
} G2gPacketInfo;

void g2g_enc_close(G2gEnc *e) {
  if (!e) return;
  avcodec_free_context(&e->ctx);
  av_packet_free(&e->pkt);
  av_frame_free(&e->frame);
  free(e);
}

int g2g_enc_open(G2gEnc **out, const G2gEncConfig *cfg, char *err, int errlen) {
  *out = NULL;
  const AVCodec *codec = avcodec_find_encoder_by_name(cfg->codec);
  if (!codec) { set_err(err, errlen, "encoder not in this libavcodec", 0); return AVERROR_ENCODER_NOT_FOUND; }
  G2gEnc *e = calloc(1, sizeof *e);
  if (!e) return AVERROR(ENOMEM);
  e->ctx = avcodec_alloc_context3(codec);
  e->pkt = av_packet_alloc();
  e->frame = av_frame_alloc();
  if (!e->ctx || !e->pkt || !e->frame) { g2g_enc_close(e); return AVERROR(ENOMEM); }
  e->width = cfg->width;
  e->height = cfg->height;
  e->nv12 = cfg->nv12;
  AVCodecContext *c = e->ctx;
  c->width = cfg->width;
  c->height = cfg->height;
  c->pix_fmt = cfg->nv12 ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
  /* Timestamps stay in nanoseconds end to end: no rounding through a frame-rate time base. */
  c->time_base = (AVRational){1, 1000000000};
  c->framerate = (AVRational){cfg->fps_num, cfg->fps_den};
  c->thread_count = cfg->threads;
  if (cfg->gop > 0) c->gop_size = cfg->gop;
  if (cfg->bframes >= 0) c->max_b_frames = cfg->bframes;
  AVDictionary *opts = NULL;
  if (cfg->bitrate > 0) {
    c->bit_rate = cfg->bitrate;
    c->rc_max_rate = cfg->bitrate;
    c->rc_buffer_size = (int)(cfg->bitrate > INT32_MAX ? INT32_MAX : cfg->bitrate);
  } else if (cfg->crf >= 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "%g", cfg->crf);
    av_dict_set(&opts, "crf", buf, 0);
  }
  if (cfg->preset) av_dict_set(&opts, "preset", cfg->preset, 0);
  if (cfg->tune) av_dict_set(&opts, "tune", cfg->tune, 0);
  if (cfg->profile) av_dict_set(&opts, "profile", cfg->profile, 0);
  if (cfg->params) av_dict_set(&opts, "x264-params", cfg->params, 0);
  int r = avcodec_open2(c, codec, &opts);
  if (r < 0) { set_err(err, errlen, "avcodec_open2", r); av_dict_free(&opts); g2g_enc_close(e); return r; }
  if (av_dict_count(opts) > 0) {
    /* An option the encoder did not take is a configuration error, not something to ignore. */
    const AVDictionaryEntry *t = av_dict_get(opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
    snprintf(err, (size_t)errlen, "encoder does not take option '%s'", t->key);
    av_dict_free(&opts);
    g2g_enc_close(e);
    return AVERROR(EINVAL);
  }
  av_dict_free(&opts);
  *out = e;
  return 0;
}

static void no_free(void *opaque, uint8_t *data) { (void)opaque; (void)data; }

/*
 * Sends one frame without copying it: the planes point into the caller's bytes (tightly packed when
 * `offsets` is NULL, else plane k at offsets[k] with rows linesizes[k] apart), wrapped in a buffer that
 * frees nothing. The caller keeps the bytes alive until it has drained the encoder with g2g_enc_receive
 * (libx264 copies the picture into its own frames inside that call chain). The caller has checked that
 * every plane lies inside `size` bytes.
 */
int g2g_enc_send(G2gEnc *e, const uint8_t *data, int size, const int *offsets, const int *linesizes, int64_t pts, int force_key) {
  if (!data) return avcodec_send_frame(e->ctx, NULL);
  AVFrame *f = e->frame;
  av_frame_unref(f);
  f->format = e->nv12 ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
  f->width = e->width;
  f->height = e->height;
  if (offsets) {
    int planes = e->nv12 ? 2 : 3;
    for (int i = 0; i < planes; i++) {
      f->data[i] = (uint8_t *)data + offsets[i];
      f->linesize[i] = linesizes[i];
    }
  } else {
    int need = av_image_fill_arrays(f->data, f->linesize, data, f->format, e->width, e->height, 1);
    if (need < 0) return need;
    if (need > size) return AVERROR(EINVAL);
  }
  f->buf[0] = av_buffer_create((uint8_t *)data, (size_t)size, no_free, NULL, AV_BUFFER_FLAG_READONLY);
  if (!f->buf[0]) return AVERROR(ENOMEM);
  f->pts = pts;
  f->pict_type = force_key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  int r = avcodec_send_frame(e->ctx, f);
  av_frame_unref(f);
  return r;
}

int g2g_enc_receive(G2gEnc *e, G2gPacketInfo *info) {
  av_packet_unref(e->pkt);
  int r = avcodec_receive_packet(e->ctx, e->pkt);
  if (r < 0) return r;
  info->data = e->pkt->data;
  info->size = e->pkt->size;
  info->pts = e->pkt->pts;
  info->dts = e->pkt->dts;
  info->key = (e->pkt->flags & AV_PKT_FLAG_KEY) != 0;
  return 0;
}

/* Codec constants Rust needs, taken from the headers rather than restated. */
int g2g_averror_eagain(void) { return AVERROR(EAGAIN); }
int g2g_averror_eof(void) { return AVERROR_EOF; }
int64_t g2g_nopts(void) { return AV_NOPTS_VALUE; }

void g2g_strerror(int code, char *buf, int len) { av_strerror(code, buf, (size_t)len); }
