/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-sim-render"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include "clap-sim-server-private.h"

/* A render that takes this long is stuck, not slow. */
#define RENDER_TIMEOUT_US   (G_GINT64_CONSTANT (5) * 60 * G_USEC_PER_SEC)
#define PROBE_TIMEOUT       (10 * GST_SECOND)

/* Audio comes in 0.1 s buffers so that its length matches the video's. */
#define AUDIO_RATE          44100
#define AUDIO_BUFFERS_PER_S 10

void
_clap_sim_render_spec_copy (const ClapSimRenderSpec *src,
                            ClapSimRenderSpec       *dest)
{
  *dest = *src;
  dest->caption = g_strdup (src->caption);
  dest->text = g_strdup (src->text);
}

void
_clap_sim_render_spec_clear (ClapSimRenderSpec *spec)
{
  g_clear_pointer (&spec->caption, g_free);
  g_clear_pointer (&spec->text, g_free);
}

static void
set_property_of (GstElement *pipeline,
                 const char *name,
                 const char *property,
                 const char *value)
{
  g_autoptr(GstElement) element = gst_bin_get_by_name (GST_BIN (pipeline), name);

  g_object_set (element, property, value, NULL);
}

/* The moving test pattern, with the caption (and running time) on top and
 * the prompt, wrapped, at the bottom. Texts are set as properties, never
 * pasted into the description, so that no prompt can change the pipeline. */
static GstElement *
build_pipeline (const ClapSimRenderSpec  *spec,
                gboolean                  thumbnail,
                const char               *location,
                GError                  **error)
{
  g_autoptr(GString) description = g_string_new (NULL);
  g_autoptr(GstElementFactory) parser = NULL;
  GstElement *pipeline;
  guint frames = thumbnail ? 1 : MAX (1, (guint)lround (spec->duration_s * spec->fps));

  g_string_append_printf (description,
                          "videotestsrc pattern=ball background-color=0xff1c3d5a "
                          "foreground-color=0xfff6d32d num-buffers=%u "
                          "! video/x-raw,width=%u,height=%u,framerate=%u/1 "
                          "! timeoverlay name=caption halignment=left valignment=top "
                          "shaded-background=true "
                          "! textoverlay name=text halignment=center valignment=bottom "
                          "shaded-background=true "
                          "! videoconvert ",
                          frames, spec->width, spec->height, spec->fps);

  if (thumbnail)
    {
      g_string_append (description, "! jpegenc ! filesink name=sink");
    }
  else
    {
      /* h264parse (gst-plugins-bad) is optional: x264enc already produces
       * the avc stream mp4mux takes. */
      parser = gst_element_factory_find ("h264parse");

      g_string_append_printf (description,
                              "! video/x-raw,format=I420 "
                              "! x264enc speed-preset=ultrafast threads=%u key-int-max=%u "
                              "! %s mp4mux name=mux faststart=true ! filesink name=sink ",
                              spec->width * spec->height > 640 * 360 ? 0 : 1,
                              spec->fps * 2,
                              parser != NULL ? "h264parse !" : "");

      if (spec->audio)
        g_string_append_printf (description,
                                "audiotestsrc wave=ticks volume=0.4 num-buffers=%u "
                                "samplesperbuffer=%u "
                                "! audio/x-raw,rate=%u,channels=2 "
                                "! audioconvert ! avenc_aac ! mux.",
                                MAX (1, (guint)lround (spec->duration_s * AUDIO_BUFFERS_PER_S)),
                                AUDIO_RATE / AUDIO_BUFFERS_PER_S, AUDIO_RATE);
    }

  pipeline = gst_parse_launch_full (description->str, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (pipeline == NULL)
    return NULL;

  set_property_of (pipeline, "caption", "text", spec->caption);
  set_property_of (pipeline, "caption", "font-desc", "Sans 14");
  set_property_of (pipeline, "text", "text", spec->text);
  set_property_of (pipeline, "text", "font-desc", "Sans Bold 18");
  set_property_of (pipeline, "sink", "location", location);

  return pipeline;
}

static gboolean
take_bus_error (GstBus  *bus,
                GError **error)
{
  g_autoptr(GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr(GError) gst_error = NULL;

  if (message == NULL)
    return FALSE;

  gst_message_parse_error (message, &gst_error, NULL);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, gst_error->message);

  return TRUE;
}

/* Plays @pipeline to its end, checking @cancellable as it goes. */
static gboolean
run_pipeline (GstElement    *pipeline,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + RENDER_TIMEOUT_US;
  gboolean ok = FALSE;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      if (!take_bus_error (bus, error))
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The pipeline did not start");
      gst_element_set_state (pipeline, GST_STATE_NULL);
      return FALSE;
    }

  for (;;)
    {
      g_autoptr(GstMessage) message = NULL;

      message = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
                                            GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

      if (message != NULL && GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS)
        {
          ok = TRUE;
          break;
        }

      if (message != NULL)
        {
          g_autoptr(GError) gst_error = NULL;

          gst_message_parse_error (message, &gst_error, NULL);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, gst_error->message);
          break;
        }

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        break;

      if (g_get_monotonic_time () > deadline)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "The render timed out");
          break;
        }
    }

  gst_element_set_state (pipeline, GST_STATE_NULL);

  return ok;
}

/* Renders to a `.part` file renamed at the end, so that nothing serves a
 * half-written file. */
static gboolean
render (const ClapSimRenderSpec  *spec,
        gboolean                  thumbnail,
        const char               *path,
        GCancellable             *cancellable,
        GError                  **error)
{
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autoptr(GstElement) pipeline = build_pipeline (spec, thumbnail, part, error);

  if (pipeline == NULL)
    return FALSE;

  if (!run_pipeline (pipeline, cancellable, error))
    {
      g_unlink (part);
      return FALSE;
    }

  if (g_rename (part, path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot rename %s: %s", part, g_strerror (saved_errno));
      g_unlink (part);
      return FALSE;
    }

  return TRUE;
}

/* Renders the take as an H.264 MP4, with an AAC track when spec->audio. */
gboolean
_clap_sim_render_video (const ClapSimRenderSpec  *spec,
                        const char               *path,
                        GCancellable             *cancellable,
                        GError                  **error)
{
  return render (spec, FALSE, path, cancellable, error);
}

/* Renders the take's first frame as a JPEG. */
gboolean
_clap_sim_render_thumbnail (const ClapSimRenderSpec  *spec,
                            const char               *path,
                            GCancellable             *cancellable,
                            GError                  **error)
{
  return render (spec, TRUE, path, cancellable, error);
}

/* Reads a media file's length, size and streams; blocks, so it runs in a
 * worker thread. */
gboolean
_clap_sim_probe_media (const char        *path,
                       ClapSimMediaInfo  *info,
                       GError           **error)
{
  g_autoptr(GstDiscoverer) discoverer = NULL;
  g_autoptr(GstDiscovererInfo) result = NULL;
  g_autofree char *uri = NULL;
  GList *streams;
  GstClockTime duration;

  memset (info, 0, sizeof *info);

  if (!(uri = g_filename_to_uri (path, NULL, error)) ||
      !(discoverer = gst_discoverer_new (PROBE_TIMEOUT, error)))
    return FALSE;

  result = gst_discoverer_discover_uri (discoverer, uri, error);
  if (result == NULL)
    return FALSE;

  if (gst_discoverer_info_get_result (result) != GST_DISCOVERER_OK)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "The file is not a media file GStreamer can read");
      return FALSE;
    }

  g_clear_error (error);

  duration = gst_discoverer_info_get_duration (result);
  if (GST_CLOCK_TIME_IS_VALID (duration))
    info->duration_s = (double)duration / GST_SECOND;

  streams = gst_discoverer_info_get_video_streams (result);
  if (streams != NULL)
    {
      GstDiscovererVideoInfo *video = streams->data;

      info->has_video = TRUE;
      info->width = gst_discoverer_video_info_get_width (video);
      info->height = gst_discoverer_video_info_get_height (video);
    }
  gst_discoverer_stream_info_list_free (streams);

  streams = gst_discoverer_info_get_audio_streams (result);
  info->has_audio = streams != NULL;
  gst_discoverer_stream_info_list_free (streams);

  return TRUE;
}

typedef struct {
  GstElement   *pipeline;
  GMutex        lock;
  GstClockTime  end;
} Measure;

static GstPadProbeReturn
measure_buffer_cb (GstPad          *pad,
                   GstPadProbeInfo *info,
                   gpointer         data)
{
  Measure *measure = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime time = GST_BUFFER_PTS (buffer);

  if (!GST_CLOCK_TIME_IS_VALID (time))
    time = GST_BUFFER_DTS (buffer);
  if (!GST_CLOCK_TIME_IS_VALID (time))
    return GST_PAD_PROBE_OK;

  if (GST_BUFFER_DURATION_IS_VALID (buffer))
    time += GST_BUFFER_DURATION (buffer);

  g_mutex_lock (&measure->lock);
  if (!GST_CLOCK_TIME_IS_VALID (measure->end) || time > measure->end)
    measure->end = time;
  g_mutex_unlock (&measure->lock);

  return GST_PAD_PROBE_OK;
}

static void
measure_pad_added_cb (GstElement *demux,
                      GstPad     *pad,
                      gpointer    data)
{
  Measure *measure = data;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr(GstPad) sink_pad = NULL;

  if (sink == NULL)
    return;

  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (measure->pipeline), sink);
  gst_element_sync_state_with_parent (sink);

  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, measure_buffer_cb, measure, NULL);
  gst_pad_link (pad, sink_pad);
}

/* How long an MP4 or MOV plays, from the samples the demuxer hands out
 * (nothing is decoded). GstDiscoverer reports the container header's
 * duration, which a file can set to anything: a motion video whose
 * header claims 5 s but plays 40 s would pass. The provider measures
 * what plays, and so does the simulator. Returns 0 when the file cannot
 * be demuxed. Blocks: worker threads only. */
double
_clap_sim_measure_stream (const char   *path,
                          GCancellable *cancellable)
{
  g_autoptr(GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *source = gst_element_factory_make ("filesrc", NULL);
  GstElement *demux = gst_element_factory_make ("qtdemux", NULL);
  Measure measure = { pipeline, { 0 }, GST_CLOCK_TIME_NONE };
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (source == NULL || demux == NULL)
    {
      g_clear_object (&source);
      g_clear_object (&demux);
      return 0.0;
    }

  g_mutex_init (&measure.lock);
  g_object_set (source, "location", path, NULL);
  gst_bin_add_many (GST_BIN (pipeline), source, demux, NULL);
  gst_element_link (source, demux);
  g_signal_connect (demux, "pad-added", G_CALLBACK (measure_pad_added_cb), &measure);

  ok = run_pipeline (pipeline, cancellable, &error);
  g_mutex_clear (&measure.lock);

  if (!ok || !GST_CLOCK_TIME_IS_VALID (measure.end))
    {
      g_debug ("Cannot measure %s: %s", path, error != NULL ? error->message : "no samples");
      return 0.0;
    }

  return (double)measure.end / GST_SECOND;
}

