/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-video-paintable"

#include "config.h"

#include <math.h>

#include <gst/app/app.h>
#include <gst/video/video.h>

#include "clap-video-paintable.h"

/* The sink asks for the one layout GTK's cairo renderer and its GL
 * uploaders take as they are: 32-bit pixels in native-endian ARGB order.
 * The padded variant comes first so that opaque video never carries an
 * alpha channel that would have to be premultiplied on the CPU;
 * videoconvert fills the padding byte with 0xff, which makes it valid as
 * premultiplied alpha. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
# define SINK_CAPS "video/x-raw, format = (string) { BGRx, BGRA }"
#else
# define SINK_CAPS "video/x-raw, format = (string) { xRGB, ARGB }"
#endif

/* As GstVideoSink does: a frame later than this is not worth showing. */
#define MAX_LATENESS (20 * GST_MSECOND)

struct _ClapVideoPaintable
{
  GObject          parent_instance;

  GMainContext    *context;

  /* Main thread only. */
  GdkTexture      *texture;
  GstBuffer       *texture_buffer;  /* not a ref: the texture's mapped frame holds one */
  GstClockTime     frame_time;
  int              width;           /* display size, pixel aspect ratio applied */
  int              height;
  guint64          texture_serial;
  guint64          drawn_serial;
  GstCaps         *caps;
  GstVideoInfo     info;
  GdkMemoryFormat  memory_format;

  /* Shared with the streaming threads. */
  GMutex           lock;
  GstSample       *pending;
  GSource         *idle;
  ClapVideoPaintableStats stats;
};

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

static gboolean
memory_format_for_info (const GstVideoInfo *info,
                        GdkMemoryFormat    *format)
{
  gboolean premultiplied = GST_VIDEO_INFO_FLAG_IS_SET (info, GST_VIDEO_FLAG_PREMULTIPLIED_ALPHA);

  switch (GST_VIDEO_INFO_FORMAT (info))
    {
    case GST_VIDEO_FORMAT_BGRx:
      *format = GDK_MEMORY_B8G8R8A8_PREMULTIPLIED;
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

  if (!gst_video_info_from_caps (&info, caps) || !memory_format_for_info (&info, &format))
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
             GstSample          *sample)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  const GstSegment *segment = gst_sample_get_segment (sample);
  g_autoptr(GdkTexture) texture = NULL;
  int width;
  int height;

  /* Going from paused to playing renders the preroll buffer once more. */
  if (buffer == NULL || caps == NULL || buffer == self->texture_buffer)
    return;

  if (!update_caps (self, caps))
    return;

  texture = texture_for_buffer (self, buffer);
  if (texture == NULL)
    return;

  width = round ((double) GST_VIDEO_INFO_WIDTH (&self->info) * GST_VIDEO_INFO_PAR_N (&self->info)
                 / MAX (GST_VIDEO_INFO_PAR_D (&self->info), 1));
  height = GST_VIDEO_INFO_HEIGHT (&self->info);

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

  g_mutex_lock (&self->lock);
  sample = g_steal_pointer (&self->pending);
  idle = g_steal_pointer (&self->idle);
  g_mutex_unlock (&self->lock);

  if (sample != NULL)
    show_sample (self, sample);

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

  if (self->width == gdk_texture_get_width (self->texture))
    return g_object_ref (GDK_PAINTABLE (self->texture));

  /* Non-square pixels: the image is the texture stretched to its display
   * size, not the texture itself. */
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
  gst_clear_caps (&self->caps);

  G_OBJECT_CLASS (clap_video_paintable_parent_class)->dispose (object);
}

static void
clap_video_paintable_finalize (GObject *object)
{
  ClapVideoPaintable *self = CLAP_VIDEO_PAINTABLE (object);

  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (clap_video_paintable_parent_class)->finalize (object);
}

static void
clap_video_paintable_class_init (ClapVideoPaintableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clap_video_paintable_dispose;
  object_class->finalize = clap_video_paintable_finalize;
}

static void
clap_video_paintable_init (ClapVideoPaintable *self)
{
  g_mutex_init (&self->lock);
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

/* An appsink feeding this paintable, for a playbin's video-sink. It holds
 * one frame at most and drops late ones, as a video sink does; the caller
 * owns the floating reference. */
GstElement *
clap_video_paintable_create_sink (ClapVideoPaintable *self)
{
  static GstAppSinkCallbacks callbacks = {
    .new_preroll = on_new_preroll,
    .new_sample = on_new_sample,
  };
  g_autoptr(GstCaps) caps = NULL;
  GstElement *sink;

  g_return_val_if_fail (CLAP_IS_VIDEO_PAINTABLE (self), NULL);

  sink = gst_element_factory_make ("appsink", "clap-video-sink");
  if (sink == NULL)
    return NULL;

  caps = gst_caps_from_string (SINK_CAPS);
  g_object_set (sink,
                "caps", caps,
                "max-buffers", 1,
                "drop", TRUE,
                "qos", TRUE,
                "max-lateness", (gint64) MAX_LATENESS,
                "enable-last-sample", FALSE,
                NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks,
                              g_object_ref (self), g_object_unref);

  return sink;
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
