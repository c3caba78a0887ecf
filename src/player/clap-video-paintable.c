/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-video-paintable"

#include "config.h"

#include <math.h>

#include <gst/app/app.h>
#include <gst/video/video.h>

#include "clap-video-paintable.h"

/* The sink asks for 32-bit pixels in native-endian ARGB order: the layout
 * of GTK's default texture format and of a cairo image surface. The padded
 * variant comes first, for opaque video; the converter fills the padding
 * byte with 0xff, so the frame reads the same as straight or premultiplied
 * alpha (see opaque_bgrx_format()). */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
# define SINK_CAPS "video/x-raw, format = (string) { BGRx, BGRA }"
#else
# define SINK_CAPS "video/x-raw, format = (string) { xRGB, ARGB }"
#endif

/* As GstVideoSink does: a frame later than this is not worth showing. */
#define MAX_LATENESS (20 * GST_MSECOND)

/* How long the size of the widget must stay put before frames are made at
 * the new size. */
#define RESIZE_DELAY_MS 150

struct _ClapVideoPaintable
{
  GObject          parent_instance;

  GMainContext    *context;
  GWeakRef         appsink;

  /* Main thread only. */
  GdkTexture      *texture;
  GstBuffer       *texture_buffer;  /* not a ref: the texture's mapped frame holds one */
  GstClockTime     frame_time;
  int              width;           /* the video's display size: pixel aspect ratio applied */
  int              height;
  guint64          texture_serial;
  guint64          drawn_serial;
  GstCaps         *caps;
  GstVideoInfo     info;
  GdkMemoryFormat  memory_format;
  gboolean         cairo_renderer;
  guint            resize_timeout;

  /* Shared with the streaming threads. */
  GMutex           lock;
  GstSample       *pending;
  int              pending_width;   /* display size of the video the pending sample is from */
  int              pending_height;
  int              source_width;    /* display size of the decoded video, before scaling */
  int              source_height;
  int              bounds_width;    /* where the video is shown, in device pixels */
  int              bounds_height;
  int              sink_width;      /* frame size asked of the converter; 0: the video's own */
  int              sink_height;
  GSource         *idle;
  ClapVideoPaintableStats stats;
};

enum
{
  SIGNAL_REFRESH_NEEDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void clap_video_paintable_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ClapVideoPaintable, clap_video_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      clap_video_paintable_paintable_init))

static void
video_frame_free (gpointer data)
{
  GstVideoFrame *frame = data;

  gst_video_frame_unmap (frame);
  g_free (frame);
}

/* Opaque frames can be labelled straight or premultiplied alike; the
 * label decides what GTK does with them. GTK 4.14 has a padded format that
 * every renderer takes as it is. Before it, GL uploads premultiplied
 * frames untouched, while the cairo renderer copies premultiplied ones
 * through a slow per-pixel path and straight ones through a fast one. */
static GdkMemoryFormat
opaque_bgrx_format (gboolean cairo_renderer)
{
#if GTK_CHECK_VERSION (4, 14, 0)
  return GDK_MEMORY_B8G8R8X8;
#else
  return cairo_renderer ? GDK_MEMORY_B8G8R8A8 : GDK_MEMORY_B8G8R8A8_PREMULTIPLIED;
#endif
}

static gboolean
memory_format_for_info (const GstVideoInfo *info,
                        gboolean            cairo_renderer,
                        GdkMemoryFormat    *format)
{
  gboolean premultiplied = GST_VIDEO_INFO_FLAG_IS_SET (info, GST_VIDEO_FLAG_PREMULTIPLIED_ALPHA);

  switch (GST_VIDEO_INFO_FORMAT (info))
    {
    case GST_VIDEO_FORMAT_BGRx:
      *format = opaque_bgrx_format (cairo_renderer);
      return TRUE;
    case GST_VIDEO_FORMAT_BGRA:
      *format = premultiplied ? GDK_MEMORY_B8G8R8A8_PREMULTIPLIED : GDK_MEMORY_B8G8R8A8;
      return TRUE;
    case GST_VIDEO_FORMAT_xRGB:
      *format = GDK_MEMORY_A8R8G8B8_PREMULTIPLIED;
      return TRUE;
    case GST_VIDEO_FORMAT_ARGB:
      *format = premultiplied ? GDK_MEMORY_A8R8G8B8_PREMULTIPLIED : GDK_MEMORY_A8R8G8B8;
      return TRUE;
    default:
      return FALSE;
    }
}

/* The texture borrows the decoded frame: the GBytes keeps the buffer
 * mapped, and unmaps it when GTK lets go of the last texture using it. */
static GdkTexture *
texture_for_buffer (ClapVideoPaintable *self,
                    GstBuffer          *buffer)
{
  GstVideoFrame *frame = g_new (GstVideoFrame, 1);
  g_autoptr(GBytes) bytes = NULL;
  gsize stride;
  gsize size;

  if (!gst_video_frame_map (frame, &self->info, buffer, GST_MAP_READ))
    {
      g_free (frame);
      return NULL;
    }

  /* The last row need not be padded to the full stride. */
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  size = stride * (GST_VIDEO_FRAME_HEIGHT (frame) - 1) + GST_VIDEO_FRAME_WIDTH (frame) * 4;
  bytes = g_bytes_new_with_free_func (GST_VIDEO_FRAME_PLANE_DATA (frame, 0), size,
                                      video_frame_free, frame);

  return gdk_memory_texture_new (GST_VIDEO_FRAME_WIDTH (frame),
                                 GST_VIDEO_FRAME_HEIGHT (frame),
                                 self->memory_format,
                                 bytes,
                                 stride);
}

static gboolean
update_caps (ClapVideoPaintable *self,
             GstCaps            *caps)
{
  GstVideoInfo info;
  GdkMemoryFormat format;

  if (self->caps == caps || (self->caps != NULL && gst_caps_is_equal (self->caps, caps)))
    return TRUE;

  if (!gst_video_info_from_caps (&info, caps)
      || !memory_format_for_info (&info, self->cairo_renderer, &format))
    {
      g_debug ("Cannot show frames with caps %" GST_PTR_FORMAT, caps);
      return FALSE;
    }

  gst_caps_replace (&self->caps, caps);
  self->info = info;
  self->memory_format = format;

  return TRUE;
}

static void
show_sample (ClapVideoPaintable *self,
             GstSample          *sample,
             int                 width,
             int                 height)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  const GstSegment *segment = gst_sample_get_segment (sample);
  g_autoptr(GdkTexture) texture = NULL;

  /* Going from paused to playing renders the preroll buffer once more. */
  if (buffer == NULL || caps == NULL || buffer == self->texture_buffer)
    return;

  if (!update_caps (self, caps))
    return;

  texture = texture_for_buffer (self, buffer);
  if (texture == NULL)
    return;

  g_set_object (&self->texture, texture);
  self->texture_buffer = buffer;
  self->texture_serial++;
  if (segment != NULL && GST_BUFFER_PTS_IS_VALID (buffer))
    self->frame_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
                                                   GST_BUFFER_PTS (buffer));
  else
    self->frame_time = GST_CLOCK_TIME_NONE;

  g_mutex_lock (&self->lock);
  self->stats.shown++;
  g_mutex_unlock (&self->lock);

  if (width != self->width || height != self->height)
    {
      self->width = width;
      self->height = height;
      gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
    }

  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

static gboolean
show_pending_sample (gpointer data)
{
  ClapVideoPaintable *self = data;
  g_autoptr(GstSample) sample = NULL;
  g_autoptr(GSource) idle = NULL;
  int width;
  int height;

  g_mutex_lock (&self->lock);
  sample = g_steal_pointer (&self->pending);
  width = self->pending_width;
  height = self->pending_height;
  idle = g_steal_pointer (&self->idle);
  g_mutex_unlock (&self->lock);

  if (sample != NULL)
    show_sample (self, sample, width, height);

  return G_SOURCE_REMOVE;
}

/* Runs on a streaming thread. Only the newest sample is kept, and at most
 * one idle waits for the main thread, so a busy main loop skips frames
 * instead of queueing them. The idle holds a reference on the paintable. */
static void
queue_sample (ClapVideoPaintable *self,
              GstSample          *sample)
{
  g_autoptr(GstSample) replaced = NULL;

  g_mutex_lock (&self->lock);

  self->stats.received++;
  replaced = g_steal_pointer (&self->pending);
  if (replaced != NULL)
    self->stats.replaced++;
  self->pending = sample;
  self->pending_width = self->source_width;
  self->pending_height = self->source_height;

  if (self->idle == NULL)
    {
      self->idle = g_idle_source_new ();
      g_source_set_priority (self->idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->idle, show_pending_sample, g_object_ref (self), g_object_unref);
      g_source_set_static_name (self->idle, "[clapboard] video frame");
      g_source_attach (self->idle, self->context);
    }

  g_mutex_unlock (&self->lock);
}

static GstCaps *
sink_caps (int width,
           int height)
{
  GstCaps *caps = gst_caps_from_string (SINK_CAPS);

  /* Square pixels at the size asked: the converter keeps the display
   * aspect ratio, and the pixel aspect ratio is dealt with once, there. */
  if (width > 0 && height > 0)
    gst_caps_set_simple (caps,
                         "width", G_TYPE_INT, width,
                         "height", G_TYPE_INT, height,
                         "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1,
                         NULL);

  return caps;
}

/* Decoding gives frames at the video's size, but a widget smaller than
 * that shows fewer pixels: scaling down once, in the converter that
 * already touches every pixel, saves copying and scaling large frames on
 * every draw. Never up: GTK does that as well as anyone.
 *
 * Called with the lock held; returns whether the size asked changed. */
static gboolean
update_sink_size_locked (ClapVideoPaintable *self,
                         GstElement         *appsink)
{
  g_autoptr(GstCaps) caps = NULL;
  double scale = 1.0;
  int width = 0;
  int height = 0;

  if (self->bounds_width > 0 && self->bounds_height > 0
      && self->source_width > 0 && self->source_height > 0)
    scale = MIN ((double) self->bounds_width / self->source_width,
                 (double) self->bounds_height / self->source_height);
  if (scale < 1.0)
    {
      width = MAX ((int) ceil (self->source_width * scale), 1);
      height = MAX ((int) ceil (self->source_height * scale), 1);
    }

  if (width == self->sink_width && height == self->sink_height)
    return FALSE;

  self->sink_width = width;
  self->sink_height = height;
  g_debug ("Frames of %d×%d made at %d×%d (0: as they are)",
           self->source_width, self->source_height, width, height);
  caps = sink_caps (width, height);
  g_object_set (appsink, "caps", caps, NULL);

  return TRUE;
}

/* Runs on a streaming thread, before the converter sees the caps: notes
 * the size of the video as decoded, which stays the paintable's size, and
 * asks the converter for frames of the size shown from the first one on. */
static GstPadProbeReturn
on_source_event (GstPad          *pad,
                 GstPadProbeInfo *info,
                 gpointer         user_data)
{
  ClapVideoPaintable *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  g_autoptr(GstElement) appsink = NULL;
  GstCaps *caps;
  GstVideoInfo video_info;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;

  gst_event_parse_caps (event, &caps);
  if (!gst_video_info_from_caps (&video_info, caps))
    return GST_PAD_PROBE_OK;

  appsink = g_weak_ref_get (&self->appsink);

  g_mutex_lock (&self->lock);
  self->source_width = round ((double) GST_VIDEO_INFO_WIDTH (&video_info)
                              * GST_VIDEO_INFO_PAR_N (&video_info)
                              / MAX (GST_VIDEO_INFO_PAR_D (&video_info), 1));
  self->source_height = GST_VIDEO_INFO_HEIGHT (&video_info);
  if (appsink != NULL)
    update_sink_size_locked (self, appsink);
  g_mutex_unlock (&self->lock);

  return GST_PAD_PROBE_OK;
}

static GstFlowReturn
on_new_preroll (GstAppSink *appsink,
                gpointer    user_data)
{
  GstSample *sample = gst_app_sink_pull_preroll (appsink);

  if (sample != NULL)
    queue_sample (user_data, sample);

  return GST_FLOW_OK;
}

static GstFlowReturn
on_new_sample (GstAppSink *appsink,
               gpointer    user_data)
{
  GstSample *sample = gst_app_sink_pull_sample (appsink);

  if (sample != NULL)
    queue_sample (user_data, sample);

  return GST_FLOW_OK;
}

static void
clap_video_paintable_snapshot (GdkPaintable *paintable,
                               GdkSnapshot  *snapshot,
                               double        width,
                               double        height)
{
  ClapVideoPaintable *self = CLAP_VIDEO_PAINTABLE (paintable);

  if (self->texture == NULL)
    return;

  /* Scaling the texture to the size GtkPicture chose is what honours the
   * pixel aspect ratio: that size follows our intrinsic aspect ratio. */
  gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, width, height);

  if (self->drawn_serial != self->texture_serial)
    {
      self->drawn_serial = self->texture_serial;
      g_mutex_lock (&self->lock);
      self->stats.drawn++;
      g_mutex_unlock (&self->lock);
    }
}

static GdkPaintable *
clap_video_paintable_get_current_image (GdkPaintable *paintable)
{
  ClapVideoPaintable *self = CLAP_VIDEO_PAINTABLE (paintable);
  g_autoptr(GtkSnapshot) snapshot = NULL;

  if (self->texture == NULL)
    return gdk_paintable_new_empty (0, 0);

  if (self->width == gdk_texture_get_width (self->texture)
      && self->height == gdk_texture_get_height (self->texture))
    return g_object_ref (GDK_PAINTABLE (self->texture));

  /* Non-square pixels, or a frame scaled down for a small widget: the
   * image is the texture stretched to the video's display size. */
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, self->width, self->height);

  return gtk_snapshot_free_to_paintable (g_steal_pointer (&snapshot),
                                         &GRAPHENE_SIZE_INIT (self->width, self->height));
}

static GdkPaintableFlags
clap_video_paintable_get_flags (GdkPaintable *paintable)
{
  return 0;
}

static int
clap_video_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  return CLAP_VIDEO_PAINTABLE (paintable)->width;
}

static int
clap_video_paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  return CLAP_VIDEO_PAINTABLE (paintable)->height;
}

static double
clap_video_paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  ClapVideoPaintable *self = CLAP_VIDEO_PAINTABLE (paintable);

  if (self->width <= 0 || self->height <= 0)
    return 0.0;

  return (double) self->width / self->height;
}

static void
clap_video_paintable_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = clap_video_paintable_snapshot;
  iface->get_current_image = clap_video_paintable_get_current_image;
  iface->get_flags = clap_video_paintable_get_flags;
  iface->get_intrinsic_width = clap_video_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = clap_video_paintable_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = clap_video_paintable_get_intrinsic_aspect_ratio;
}

static void
clap_video_paintable_dispose (GObject *object)
{
  ClapVideoPaintable *self = CLAP_VIDEO_PAINTABLE (object);

  clap_video_paintable_clear (self);
  g_clear_handle_id (&self->resize_timeout, g_source_remove);
  gst_clear_caps (&self->caps);

  G_OBJECT_CLASS (clap_video_paintable_parent_class)->dispose (object);
}

static void
clap_video_paintable_finalize (GObject *object)
{
  ClapVideoPaintable *self = CLAP_VIDEO_PAINTABLE (object);

  g_mutex_clear (&self->lock);
  g_weak_ref_clear (&self->appsink);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (clap_video_paintable_parent_class)->finalize (object);
}

static void
clap_video_paintable_class_init (ClapVideoPaintableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clap_video_paintable_dispose;
  object_class->finalize = clap_video_paintable_finalize;

  /* The frames are now made at another size, and a paused clip gets no
   * new frame by itself: the one shown may be blurry, and the size change
   * would otherwise stall the start of playback. */
  signals[SIGNAL_REFRESH_NEEDED] =
    g_signal_new ("refresh-needed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
clap_video_paintable_init (ClapVideoPaintable *self)
{
  g_mutex_init (&self->lock);
  g_weak_ref_init (&self->appsink, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->frame_time = GST_CLOCK_TIME_NONE;
  gst_video_info_init (&self->info);
}

/* A paintable showing the frames of the sinks it creates. Create it on the
 * thread whose main context draws it. */
ClapVideoPaintable *
clap_video_paintable_new (void)
{
  return g_object_new (CLAP_TYPE_VIDEO_PAINTABLE, NULL);
}

/* The video sink for a playbin (set its native-video flag: the sink
 * converts, and scales to the size shown). A bin of a converter and an
 * appsink that holds one frame at most and drops late ones, as a video
 * sink does. The caller owns the floating reference. */
GstElement *
clap_video_paintable_create_sink (ClapVideoPaintable *self)
{
  static GstAppSinkCallbacks callbacks = {
    .new_preroll = on_new_preroll,
    .new_sample = on_new_sample,
  };
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GstPad) pad = NULL;
  GstElement *bin;
  GstElement *convert;
  GstElement *scale = NULL;
  GstElement *appsink;

  g_return_val_if_fail (CLAP_IS_VIDEO_PAINTABLE (self), NULL);

  /* One element converting and scaling in a single pass where GStreamer
   * has it (1.22 on), two otherwise. */
  convert = gst_element_factory_make ("videoconvertscale", NULL);
  if (convert == NULL)
    {
      convert = gst_element_factory_make ("videoconvert", NULL);
      scale = gst_element_factory_make ("videoscale", NULL);
      if (scale == NULL)
        g_clear_pointer (&convert, gst_object_unref);
    }
  appsink = gst_element_factory_make ("appsink", "clap-video-appsink");
  if (convert == NULL || appsink == NULL)
    {
      g_clear_pointer (&convert, gst_object_unref);
      g_clear_pointer (&scale, gst_object_unref);
      g_clear_pointer (&appsink, gst_object_unref);
      return NULL;
    }

  caps = sink_caps (0, 0);
  g_object_set (appsink,
                "caps", caps,
                "max-buffers", 1,
                "drop", TRUE,
                "qos", TRUE,
                "max-lateness", (gint64) MAX_LATENESS,
                "enable-last-sample", FALSE,
                NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &callbacks,
                              g_object_ref (self), g_object_unref);
  g_weak_ref_set (&self->appsink, appsink);
  g_mutex_lock (&self->lock);
  self->sink_width = self->sink_height = 0;
  g_mutex_unlock (&self->lock);

  bin = gst_bin_new ("clap-video-sink");
  gst_bin_add_many (GST_BIN (bin), convert, appsink, NULL);
  if (scale != NULL)
    {
      gst_bin_add (GST_BIN (bin), scale);
      gst_element_link_many (convert, scale, appsink, NULL);
    }
  else
    gst_element_link (convert, appsink);

  pad = gst_element_get_static_pad (convert, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_source_event,
                     g_object_ref (self), g_object_unref);
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));

  return bin;
}

/* Whether the widget showing the paintable draws with GTK's cairo
 * renderer, which takes some memory layouts faster than others. */
void
clap_video_paintable_set_cairo_renderer (ClapVideoPaintable *self,
                                         gboolean            cairo_renderer)
{
  g_return_if_fail (CLAP_IS_VIDEO_PAINTABLE (self));

  cairo_renderer = !!cairo_renderer;
  if (self->cairo_renderer == cairo_renderer)
    return;

  self->cairo_renderer = cairo_renderer;
  /* The next frame picks its layout again. */
  gst_clear_caps (&self->caps);
}

static gboolean
on_resize_timeout (gpointer user_data)
{
  ClapVideoPaintable *self = user_data;
  g_autoptr(GstElement) appsink = g_weak_ref_get (&self->appsink);
  g_autoptr(GstPad) pad = NULL;
  gboolean changed = FALSE;

  self->resize_timeout = 0;
  if (appsink == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->lock);
  changed = update_sink_size_locked (self, appsink);
  g_mutex_unlock (&self->lock);

  if (changed)
    {
      pad = gst_element_get_static_pad (appsink, "sink");
      gst_pad_push_event (pad, gst_event_new_reconfigure ());
      g_signal_emit (self, signals[SIGNAL_REFRESH_NEEDED], 0);
    }

  return G_SOURCE_REMOVE;
}

/* The size of the area the video is fitted into, in device pixels. A
 * window being resized changes it every frame; the converter is told once
 * it has settled. */
void
clap_video_paintable_set_bounds (ClapVideoPaintable *self,
                                 int                 width,
                                 int                 height)
{
  gboolean changed;

  g_return_if_fail (CLAP_IS_VIDEO_PAINTABLE (self));

  g_mutex_lock (&self->lock);
  changed = width != self->bounds_width || height != self->bounds_height;
  self->bounds_width = width;
  self->bounds_height = height;
  g_mutex_unlock (&self->lock);

  if (changed && self->resize_timeout == 0)
    self->resize_timeout = g_timeout_add (RESIZE_DELAY_MS, on_resize_timeout, self);
}

/* Forgets the current frame and any frame on its way; call it once the
 * pipeline is stopped, so that nothing of the old clip shows again. */
void
clap_video_paintable_clear (ClapVideoPaintable *self)
{
  g_autoptr(GstSample) pending = NULL;
  g_autoptr(GSource) idle = NULL;
  gboolean had_size;

  g_return_if_fail (CLAP_IS_VIDEO_PAINTABLE (self));

  g_mutex_lock (&self->lock);
  pending = g_steal_pointer (&self->pending);
  idle = g_steal_pointer (&self->idle);
  g_mutex_unlock (&self->lock);

  /* Outside the lock: destroying the idle drops its reference on us. */
  if (idle != NULL)
    g_source_destroy (idle);

  if (self->texture == NULL)
    return;

  had_size = self->width != 0 || self->height != 0;
  g_clear_object (&self->texture);
  self->texture_buffer = NULL;
  self->frame_time = GST_CLOCK_TIME_NONE;
  self->width = 0;
  self->height = 0;

  if (had_size)
    gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

/* The frame shown now, or NULL. */
GdkTexture *
clap_video_paintable_get_texture (ClapVideoPaintable *self)
{
  g_return_val_if_fail (CLAP_IS_VIDEO_PAINTABLE (self), NULL);

  return self->texture;
}

/* The stream time of the frame shown now, or GST_CLOCK_TIME_NONE. */
GstClockTime
clap_video_paintable_get_frame_time (ClapVideoPaintable *self)
{
  g_return_val_if_fail (CLAP_IS_VIDEO_PAINTABLE (self), GST_CLOCK_TIME_NONE);

  return self->frame_time;
}

void
clap_video_paintable_get_stats (ClapVideoPaintable      *self,
                                ClapVideoPaintableStats *stats)
{
  g_return_if_fail (CLAP_IS_VIDEO_PAINTABLE (self));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}
