/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-thumbnailer"

#include "config.h"

#include <string.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <glib/gi18n.h>

#include "clap-thumbnailer.h"

/* A take without a provider thumbnail gets its clip's first frame, decoded
 * once in a worker thread, saved as "CLIP.png" beside the clip, and
 * remembered by the take. One clip at a time: thumbnails are a nicety, not
 * worth competing with playback for the CPU. */

#define THUMBNAIL_WIDTH 224

static GHashTable *requested; /* ClapTask set: asked for, not finished */

static GstElement *
build_pipeline (const char  *path,
                int          width,
                GError     **error)
{
  g_autofree char *uri = gst_filename_to_uri (path, error);
  g_autofree char *description = NULL;

  if (uri == NULL)
    return NULL;

  /* uridecodebin picks demuxer and decoder; the caps fix RGBA at @width,
   * square pixels, height following the display aspect ratio. */
  description = g_strdup_printf ("uridecodebin uri=\"%s\" ! videoconvert ! videoscale ! "
                                 "video/x-raw,format=RGBA,width=%d,pixel-aspect-ratio=1/1 ! "
                                 "appsink name=sink sync=false max-buffers=1", uri, width);
  return gst_parse_launch (description, error);
}

/* Decodes the first frame of @video_path at @width pixels. Blocking. */
GdkTexture *
clap_thumbnailer_extract (const char  *video_path,
                          int          width,
                          GError     **error)
{
  g_autoptr(GstElement) pipeline = NULL;
  g_autoptr(GstElement) sink = NULL;
  g_autoptr(GstSample) sample = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GstVideoInfo info;
  GstVideoFrame frame;
  GstCaps *caps;
  GdkTexture *texture;
  gsize stride;

  pipeline = build_pipeline (video_path, width, error);
  if (pipeline == NULL)
    return NULL;

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  sample = gst_app_sink_try_pull_preroll (GST_APP_SINK (sink), 10 * GST_SECOND);
  if (sample == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("No frame could be decoded from the clip."));
      gst_element_set_state (pipeline, GST_STATE_NULL);
      return NULL;
    }

  caps = gst_sample_get_caps (sample);
  if (!gst_video_info_from_caps (&info, caps) ||
      !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The clip’s frame is unreadable."));
      gst_element_set_state (pipeline, GST_STATE_NULL);
      return NULL;
    }

  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  bytes = g_bytes_new (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0), stride * GST_VIDEO_INFO_HEIGHT (&info));
  texture = gdk_memory_texture_new (GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
                                    GDK_MEMORY_R8G8B8A8, bytes, stride);
  gst_video_frame_unmap (&frame);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return texture;
}

static void
extract_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const char *video = task_data;
  g_autofree char *stem = NULL;
  g_autofree char *png = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GError *error = NULL;

  texture = clap_thumbnailer_extract (video, THUMBNAIL_WIDTH, &error);
  if (texture == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  stem = g_str_has_suffix (video, ".mp4") ? g_strndup (video, strlen (video) - 4) : g_strdup (video);
  png = g_strconcat (stem, ".png", NULL);
  if (!gdk_texture_save_to_png (texture, png))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The thumbnail “%s” could not be written."), png);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&png), g_free);
}

static GQueue waiting = G_QUEUE_INIT;
static gboolean running;

static void run_next (void);

static void
extracted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ClapTask *take = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *png = g_task_propagate_pointer (G_TASK (result), &error);

  if (png != NULL)
    clap_task_set_thumbnail_file (take, png);
  else
    g_debug ("No thumbnail for %s: %s", clap_task_get_uid (take), error->message);

  /* Not removed from "requested" on failure: a broken clip is tried once. */
  if (png != NULL)
    g_hash_table_remove (requested, take);
  g_object_unref (take);
  running = FALSE;
  run_next ();
}

static void
run_next (void)
{
  ClapTask *take;
  g_autoptr(GTask) task = NULL;

  if (running || (take = g_queue_pop_head (&waiting)) == NULL)
    return;

  running = TRUE;
  task = g_task_new (NULL, NULL, extracted, take);
  g_task_set_task_data (task, g_strdup (clap_task_get_local_file (take)), g_free);
  g_task_run_in_thread (task, extract_thread);
}

/* Makes a thumbnail for @task from its local clip, once, in the background. */
void
clap_thumbnailer_request (ClapTask *task)
{
  g_return_if_fail (CLAP_IS_TASK (task));

  if (clap_task_get_local_file (task) == NULL || clap_task_get_thumbnail_file (task) != NULL)
    return;

  if (requested == NULL)
    requested = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  if (g_hash_table_contains (requested, task))
    return;

  g_hash_table_add (requested, g_object_ref (task));
  g_queue_push_tail (&waiting, g_object_ref (task));
  run_next ();
}
