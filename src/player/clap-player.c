/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-player"

#include "config.h"

#include <glib/gi18n.h>
#include <gst/app/app.h>
#include <gst/pbutils/pbutils.h>

#include "clap-player-private.h"
#include "clap-player-resources.h"

/* Often enough for the seek bar to move smoothly on a clip of a few seconds. */
#define POSITION_INTERVAL_MS 100

/* A local clip prerolls in well under a second, with a stream of messages
 * on the way. decodebin drops an error raised by an element while it is
 * still plugging it in (a demuxer failing on its first read can be that
 * fast), and the pipeline then waits forever in silence: this long without
 * a message before preroll, the clip is taken as unreadable. */
#define PREROLL_SILENCE_US (4 * G_USEC_PER_SEC)

/* How far the arrow keys move. */
#define SEEK_STEP_US (5 * G_USEC_PER_SEC)

/* playbin's GstPlayFlags, which no public header declares. */
enum
{
  PLAY_FLAG_VIDEO        = 1 << 0,
  PLAY_FLAG_AUDIO        = 1 << 1,
  PLAY_FLAG_SOFT_VOLUME  = 1 << 4,
  PLAY_FLAG_NATIVE_VIDEO = 1 << 6,
};

struct _ClapPlayer
{
  GtkWidget           parent_instance;

  GtkWidget          *content;
  GtkWidget          *video_overlay;
  GtkPicture         *picture;
  GtkWidget          *error_box;
  GtkLabel           *error_label;
  GtkButton          *play_button;
  GtkScale           *seek_scale;
  GtkAdjustment      *seek_adjustment;
  GtkLabel           *position_label;
  GtkLabel           *duration_label;
  GtkMenuButton      *volume_button;
  GtkAdjustment      *volume_adjustment;

  ClapVideoPaintable *paintable;
  GstElement         *playbin;
  GFile              *file;
  GError             *error;
  char               *missing_plugin;

  gint64              position;
  gint64              duration;
  gint64              seek_target;   /* the next seek, waiting for preroll or the one in flight; -1: none */
  guint64             late_dropped;
  double              volume;
  guint               position_timer;
  GSource            *preroll_watchdog;

  guint               playing : 1;
  guint               loop : 1;
  guint               muted : 1;
  guint               prerolled : 1;  /* seeks are possible */
  guint               seeking : 1;    /* a flushing seek has not completed yet */
  guint               at_eos : 1;
  guint               audio_fallback : 1;
};

G_DEFINE_FINAL_TYPE (ClapPlayer, clap_player, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_FILE,
  PROP_PLAYING,
  PROP_POSITION,
  PROP_DURATION,
  PROP_LOOP,
  PROP_MUTED,
  PROP_VOLUME,
  PROP_ERROR,
  PROP_PAINTABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_QUARK (clap-player-error-quark, clap_player_error)

static void
update_actions (ClapPlayer *self)
{
  gboolean can_play = self->playbin != NULL && self->file != NULL && self->error == NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "player.play-pause", can_play);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "player.seek-relative", can_play);
  gtk_widget_set_sensitive (GTK_WIDGET (self->seek_scale), can_play && self->duration > 0);
}

static void
set_position (ClapPlayer *self,
              gint64      position)
{
  if (self->position == position)
    return;

  self->position = position;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POSITION]);
}

static void
set_duration (ClapPlayer *self,
              gint64      duration)
{
  if (self->duration == duration)
    return;

  self->duration = duration;
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
}

static void
update_play_button (ClapPlayer *self)
{
  const char *label = self->playing ? _("Pause") : _("Play");

  gtk_button_set_icon_name (self->play_button,
                            self->playing ? "media-playback-pause-symbolic"
                                          : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->play_button), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->play_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static void
set_playing_flag (ClapPlayer *self,
                  gboolean    playing)
{
  playing = !!playing;
  if (self->playing == playing)
    return;

  self->playing = playing;
  update_play_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYING]);
}

static void
update_position_from_pipeline (ClapPlayer *self)
{
  gint64 position;

  /* While a seek is on its way the bar shows where it goes, not where the
   * pipeline still is. */
  if (self->playbin == NULL || self->seeking || self->seek_target >= 0 || self->at_eos)
    return;

  if (gst_element_query_position (self->playbin, GST_FORMAT_TIME, &position) && position >= 0)
    set_position (self, position / GST_USECOND);
}

static void
update_duration_from_pipeline (ClapPlayer *self)
{
  gint64 duration;

  if (self->playbin != NULL
      && gst_element_query_duration (self->playbin, GST_FORMAT_TIME, &duration)
      && duration > 0)
    set_duration (self, duration / GST_USECOND);
}

static gboolean
on_position_timer (gpointer user_data)
{
  update_position_from_pipeline (user_data);

  return G_SOURCE_CONTINUE;
}

static void
start_position_timer (ClapPlayer *self)
{
  if (self->position_timer == 0)
    self->position_timer = g_timeout_add (POSITION_INTERVAL_MS, on_position_timer, self);
}

static void
stop_position_timer (ClapPlayer *self)
{
  g_clear_handle_id (&self->position_timer, g_source_remove);
}

/* Starts the seek waiting, if the pipeline can take one now: only after
 * preroll, and one at a time; later requests replace the waiting one. */
static void
start_pending_seek (ClapPlayer *self)
{
  gint64 target;

  if (self->seek_target < 0 || !self->prerolled || self->seeking)
    return;

  target = self->seek_target;
  self->seek_target = -1;

  if (gst_element_seek_simple (self->playbin, GST_FORMAT_TIME,
                               GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
                               target * GST_USECOND))
    self->seeking = TRUE;
  else
    g_debug ("Seek to %" G_GINT64_FORMAT " µs refused", target);
}

static void
stop_preroll_watchdog (ClapPlayer *self)
{
  if (self->preroll_watchdog == NULL)
    return;

  g_source_destroy (self->preroll_watchdog);
  g_clear_pointer (&self->preroll_watchdog, g_source_unref);
}

/* Stops the pipeline and drops everything it had in flight; returns with
 * no streaming thread left running. */
static void
stop_pipeline (ClapPlayer *self)
{
  g_autoptr(GstBus) bus = NULL;

  stop_position_timer (self);
  stop_preroll_watchdog (self);

  if (self->playbin == NULL)
    return;

  gst_element_set_state (self->playbin, GST_STATE_NULL);

  /* Messages of the stopped run must not reach the next one. */
  bus = gst_element_get_bus (self->playbin);
  gst_bus_set_flushing (bus, TRUE);
  gst_bus_set_flushing (bus, FALSE);

  self->prerolled = FALSE;
  self->seeking = FALSE;
  self->seek_target = -1;
  self->at_eos = FALSE;
}

static void
clear_error (ClapPlayer *self)
{
  g_clear_pointer (&self->missing_plugin, g_free);

  if (self->error == NULL)
    return;

  g_clear_error (&self->error);
  gtk_widget_set_visible (self->error_box, FALSE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
set_error (ClapPlayer *self,
           GError     *error)
{
  g_autoptr(GError) owned = error;

  /* One failure often comes as several messages; the first says most. */
  if (self->error != NULL)
    return;

  stop_pipeline (self);
  clap_video_paintable_clear (self->paintable);

  self->error = g_steal_pointer (&owned);
  g_debug ("Cannot play: %s", self->error->message);

  gtk_label_set_text (self->error_label, self->error->message);
  gtk_widget_set_visible (self->error_box, TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self));

  set_playing_flag (self, FALSE);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static gboolean
on_preroll_silence (gpointer user_data)
{
  ClapPlayer *self = user_data;

  stop_preroll_watchdog (self);
  g_debug ("No preroll, and no news from the pipeline for %d s",
           (int) (PREROLL_SILENCE_US / G_USEC_PER_SEC));
  set_error (self, g_error_new_literal (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_CORRUPT,
                                        _("The clip could not be opened. It may be damaged; "
                                          "download it again.")));

  return G_SOURCE_REMOVE;
}

/* Sets the pipeline going towards @state from NULL, watching for a preroll
 * that never comes. */
static void
start_pipeline (ClapPlayer *self,
                GstState    state)
{
  stop_preroll_watchdog (self);
  self->preroll_watchdog = g_timeout_source_new (PREROLL_SILENCE_US / 1000);
  g_source_set_callback (self->preroll_watchdog, on_preroll_silence, self, NULL);
  g_source_set_static_name (self->preroll_watchdog, "[clapboard] preroll watchdog");
  g_source_attach (self->preroll_watchdog, NULL);
  gst_element_set_state (self->playbin, state);
}

static GError *
missing_decoder_error (ClapPlayer *self)
{
  if (self->missing_plugin != NULL)
    return g_error_new (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_MISSING_DECODER,
                        /* Translators: %s names a GStreamer plugin, e.g. “H.265 (Main Profile) decoder” */
                        _("This clip needs a %s, which is not installed. Install the "
                          "GStreamer plugins for it (gstreamer1.0-libav) and try again."),
                        self->missing_plugin);

  return g_error_new_literal (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_MISSING_DECODER,
                              _("A decoder for this clip is not installed. Install the "
                                "GStreamer plugins for it (gstreamer1.0-libav) and try again."));
}

/* Turns what GStreamer says into what the person can act on. */
static GError *
error_from_message (ClapPlayer *self,
                    GstMessage *message)
{
  g_autoptr(GError) gst_error = NULL;
  g_autofree char *debug = NULL;

  gst_message_parse_error (message, &gst_error, &debug);
  g_debug ("Pipeline error from %s: %s (%s)",
           GST_MESSAGE_SRC_NAME (message), gst_error->message, debug ? debug : "");

  if (gst_error->domain == GST_RESOURCE_ERROR
      && (gst_error->code == GST_RESOURCE_ERROR_NOT_FOUND
          || gst_error->code == GST_RESOURCE_ERROR_OPEN_READ
          || gst_error->code == GST_RESOURCE_ERROR_READ
          || gst_error->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED))
    return g_error_new_literal (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_NOT_FOUND,
                                _("The clip cannot be read. It may have been moved or deleted; "
                                  "download it again."));

  if (self->missing_plugin != NULL
      || (gst_error->domain == GST_CORE_ERROR
          && gst_error->code == GST_CORE_ERROR_MISSING_PLUGIN)
      || (gst_error->domain == GST_STREAM_ERROR
          && gst_error->code == GST_STREAM_ERROR_CODEC_NOT_FOUND))
    return missing_decoder_error (self);

  if (gst_error->domain == GST_STREAM_ERROR
      && (gst_error->code == GST_STREAM_ERROR_TYPE_NOT_FOUND
          || gst_error->code == GST_STREAM_ERROR_WRONG_TYPE))
    return g_error_new_literal (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_NOT_VIDEO,
                                _("This file is not a video. Choose a video file, such as an "
                                  "MP4 clip."));

  if (gst_error->domain == GST_STREAM_ERROR)
    return g_error_new_literal (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_CORRUPT,
                                _("The clip is damaged and cannot be played. Download it again."));

  return g_error_new_literal (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_FAILED,
                              _("The clip cannot be played."));
}

static gboolean
message_is_from_audio_sink (ClapPlayer *self,
                            GstMessage *message)
{
  g_autoptr(GstElement) audio_sink = NULL;

  g_object_get (self->playbin, "audio-sink", &audio_sink, NULL);

  return audio_sink != NULL
         && (GST_MESSAGE_SRC (message) == GST_OBJECT (audio_sink)
             || gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), GST_OBJECT (audio_sink)));
}

/* A machine without a working sound device (a build server, a remote
 * session) still plays the picture, paced by a clock-synced fake sink. */
static gboolean
fall_back_to_silent_audio (ClapPlayer *self)
{
  GstElement *fake_sink;
  gint64 position = self->position;
  g_autofree char *uri = NULL;

  if (self->audio_fallback || self->file == NULL)
    return FALSE;

  fake_sink = gst_element_factory_make ("fakesink", "clap-silent-audio-sink");
  if (fake_sink == NULL)
    return FALSE;

  g_debug ("No usable audio output, playing without sound");
  self->audio_fallback = TRUE;

  stop_pipeline (self);
  g_object_set (fake_sink, "sync", TRUE, NULL);

  /* A failed start uses up playbin's uri: give it again. */
  uri = g_file_get_uri (self->file);
  g_object_set (self->playbin, "audio-sink", fake_sink, "uri", uri, NULL);

  self->seek_target = position > 0 ? position : -1;
  start_pipeline (self, self->playing ? GST_STATE_PLAYING : GST_STATE_PAUSED);

  return TRUE;
}

/* A file whose picture cannot be decoded still prerolls when it has
 * sound; for a video preview that is a failure all the same. */
static gboolean
check_has_video (ClapPlayer *self)
{
  int n_video = 0;

  g_object_get (self->playbin, "n-video", &n_video, NULL);
  if (n_video > 0)
    return TRUE;

  if (self->missing_plugin != NULL)
    set_error (self, missing_decoder_error (self));
  else
    set_error (self, g_error_new_literal (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_NOT_VIDEO,
                                          _("This file has no picture. Choose a video file, "
                                            "such as an MP4 clip.")));

  return FALSE;
}

static void
on_eos (ClapPlayer *self)
{
  if (self->loop)
    {
      self->seek_target = 0;
      set_position (self, 0);
      start_pending_seek (self);
      return;
    }

  /* Stay on the last frame, ready to start over. */
  stop_position_timer (self);
  self->at_eos = TRUE;
  if (self->duration > 0)
    set_position (self, self->duration);
  set_playing_flag (self, FALSE);
  gst_element_set_state (self->playbin, GST_STATE_PAUSED);
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  ClapPlayer *self = user_data;

  /* Still busy prerolling: give it time again. */
  if (self->preroll_watchdog != NULL)
    g_source_set_ready_time (self->preroll_watchdog,
                             g_get_monotonic_time () + PREROLL_SILENCE_US);

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      if (message_is_from_audio_sink (self, message) && fall_back_to_silent_audio (self))
        break;
      set_error (self, error_from_message (self, message));
      break;

    case GST_MESSAGE_WARNING:
      {
        g_autoptr(GError) warning = NULL;
        g_autofree char *debug = NULL;

        gst_message_parse_warning (message, &warning, &debug);
        g_debug ("Pipeline warning from %s: %s (%s)",
                 GST_MESSAGE_SRC_NAME (message), warning->message, debug ? debug : "");
      }
      break;

    case GST_MESSAGE_ELEMENT:
      if (gst_is_missing_plugin_message (message) && self->missing_plugin == NULL)
        self->missing_plugin = gst_missing_plugin_message_get_description (message);
      break;

    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC (message) == GST_OBJECT (self->playbin))
        {
          GstState new_state;

          gst_message_parse_state_changed (message, NULL, &new_state, NULL);
          if (new_state == GST_STATE_PLAYING)
            start_position_timer (self);
          else
            {
              stop_position_timer (self);
              update_position_from_pipeline (self);
            }
        }
      break;

    case GST_MESSAGE_ASYNC_DONE:
      if (GST_MESSAGE_SRC (message) != GST_OBJECT (self->playbin))
        break;
      stop_preroll_watchdog (self);
      if (!self->prerolled && !check_has_video (self))
        break;
      self->prerolled = TRUE;
      self->seeking = FALSE;
      update_duration_from_pipeline (self);
      if (self->seek_target >= 0)
        start_pending_seek (self);
      else
        update_position_from_pipeline (self);
      break;

    case GST_MESSAGE_DURATION_CHANGED:
      update_duration_from_pipeline (self);
      break;

    case GST_MESSAGE_EOS:
      on_eos (self);
      break;

    case GST_MESSAGE_QOS:
      /* Frames the sink itself found too late to show (the decoder and the
       * converter count their own). */
      if (GST_IS_APP_SINK (GST_MESSAGE_SRC (message)))
        {
          guint64 dropped;

          gst_message_parse_qos_stats (message, NULL, NULL, &dropped);
          if (dropped != (guint64) -1)
            self->late_dropped = dropped;
        }
      break;

    default:
      break;
    }

  return G_SOURCE_CONTINUE;
}

static gboolean
ensure_pipeline (ClapPlayer *self)
{
  g_autoptr(GstBus) bus = NULL;
  GstElement *video_sink;
  GstElement *audio_sink;

  if (self->playbin != NULL)
    return TRUE;

  self->playbin = gst_element_factory_make ("playbin", "clap-player-playbin");
  video_sink = clap_video_paintable_create_sink (self->paintable);
  if (self->playbin == NULL || video_sink == NULL)
    {
      if (video_sink != NULL)
        gst_object_unref (gst_object_ref_sink (video_sink));
      g_clear_pointer (&self->playbin, gst_object_unref);
      set_error (self, g_error_new_literal (CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_MISSING_DECODER,
                                            _("GStreamer’s base plugins are not installed. "
                                              "Install gstreamer1.0-plugins-base and "
                                              "try again.")));
      return FALSE;
    }

  gst_object_ref_sink (self->playbin);

  /* autoaudiosink itself falls back to a fake sink when it finds no
   * device; an output that opens and fails later is handled on the bus. */
  audio_sink = gst_element_factory_make ("autoaudiosink", "clap-audio-sink");

  /* The video sink converts (and scales) itself; no subtitles, no
   * visualisations. */
  g_object_set (self->playbin,
                "video-sink", video_sink,
                "flags", PLAY_FLAG_VIDEO | PLAY_FLAG_AUDIO | PLAY_FLAG_SOFT_VOLUME
                         | PLAY_FLAG_NATIVE_VIDEO,
                "mute", (gboolean) self->muted,
                "volume", self->volume * self->volume * self->volume,
                NULL);
  if (audio_sink != NULL)
    g_object_set (self->playbin, "audio-sink", audio_sink, NULL);

  bus = gst_element_get_bus (self->playbin);
  gst_bus_add_watch (bus, on_bus_message, self);

  return TRUE;
}

static void
destroy_pipeline (ClapPlayer *self)
{
  g_autoptr(GstBus) bus = NULL;

  if (self->playbin == NULL)
    return;

  /* Stop, then detach, then drop: in that order no message and no frame
   * of the pipeline can reach a disposed widget. */
  stop_pipeline (self);
  bus = gst_element_get_bus (self->playbin);
  gst_bus_remove_watch (bus);
  g_clear_pointer (&self->playbin, gst_object_unref);
  clap_video_paintable_clear (self->paintable);
}

static char *
format_time (gint64   us,
             gboolean round_up)
{
  gint64 seconds = round_up ? (us + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC : us / G_USEC_PER_SEC;

  seconds = MAX (seconds, 0);
  if (seconds >= 3600)
    return g_strdup_printf ("%d:%02d:%02d",
                            (int) (seconds / 3600), (int) (seconds / 60 % 60), (int) (seconds % 60));

  return g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

static gboolean
position_to_label (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  g_value_take_string (to, format_time (g_value_get_int64 (from), FALSE));
  return TRUE;
}

static gboolean
duration_to_label (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  g_value_take_string (to, format_time (g_value_get_int64 (from), TRUE));
  return TRUE;
}

static gboolean
us_to_seconds (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  g_value_set_double (to, (double) g_value_get_int64 (from) / G_USEC_PER_SEC);
  return TRUE;
}

static void
update_volume_button (ClapPlayer *self)
{
  const char *icon;

  if (self->muted || self->volume <= 0.0)
    icon = "audio-volume-muted-symbolic";
  else if (self->volume < 1.0 / 3.0)
    icon = "audio-volume-low-symbolic";
  else if (self->volume < 2.0 / 3.0)
    icon = "audio-volume-medium-symbolic";
  else
    icon = "audio-volume-high-symbolic";

  gtk_menu_button_set_icon_name (self->volume_button, icon);
}

static gboolean
on_seek_change_value (GtkRange      *range,
                      GtkScrollType  scroll,
                      double         value,
                      ClapPlayer    *self)
{
  clap_player_seek (self, (gint64) (value * G_USEC_PER_SEC));

  return GDK_EVENT_STOP;
}

static void
on_video_released (GtkGestureClick *gesture,
                   int              n_press,
                   double           x,
                   double           y,
                   ClapPlayer      *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (n_press == 1)
    gtk_widget_activate_action (GTK_WIDGET (self), "player.play-pause", NULL);
}

/* Frames are now made at another size: while paused, ask for the frame
 * shown again, so that it is sharp and playback starts at the new size. */
static void
on_refresh_needed (ClapPlayer *self)
{
  GstClockTime frame_time = clap_video_paintable_get_frame_time (self->paintable);

  if (self->playing || !self->prerolled || self->seeking || self->seek_target >= 0
      || self->at_eos || self->error != NULL || frame_time == GST_CLOCK_TIME_NONE)
    return;

  self->seek_target = frame_time / GST_USECOND;
  start_pending_seek (self);
}

static void
play_pause_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ClapPlayer *self = CLAP_PLAYER (widget);

  if (self->playing)
    clap_player_pause (self);
  else
    clap_player_play (self);
}

static void
seek_relative_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  ClapPlayer *self = CLAP_PLAYER (widget);

  clap_player_seek (self, self->position + g_variant_get_int64 (parameter));
}

static void
clap_player_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  ClapPlayer *self = CLAP_PLAYER (widget);
  graphene_rect_t bounds;

  /* Video sits on black whatever the theme, so letterboxing looks like
   * part of the picture; an error is shown on the theme's own colours. */
  if (self->file != NULL && self->error == NULL
      && gtk_widget_compute_bounds (self->video_overlay, widget, &bounds))
    gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 1 }, &bounds);

  GTK_WIDGET_CLASS (clap_player_parent_class)->snapshot (widget, snapshot);
}

static void
clap_player_realize (GtkWidget *widget)
{
  ClapPlayer *self = CLAP_PLAYER (widget);
  GskRenderer *renderer;

  GTK_WIDGET_CLASS (clap_player_parent_class)->realize (widget);

  /* Which texture layout is cheapest depends on the renderer. */
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  clap_video_paintable_set_cairo_renderer (self->paintable, GSK_IS_CAIRO_RENDERER (renderer));
}

static GtkSizeRequestMode
clap_player_get_request_mode (GtkWidget *widget)
{
  return gtk_widget_get_request_mode (CLAP_PLAYER (widget)->content);
}

static void
clap_player_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  ClapPlayer *self = CLAP_PLAYER (widget);

  gtk_widget_measure (self->content, orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);
}

/* Lays out like a BinLayout, then tells the video how many pixels it has
 * on screen, so that frames are made no larger than that. */
static void
clap_player_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  ClapPlayer *self = CLAP_PLAYER (widget);
  int scale = gtk_widget_get_scale_factor (widget);

  gtk_widget_allocate (self->content, width, height, baseline, NULL);
  clap_video_paintable_set_bounds (self->paintable,
                                   gtk_widget_get_width (GTK_WIDGET (self->picture)) * scale,
                                   gtk_widget_get_height (GTK_WIDGET (self->picture)) * scale);
}

static void
clap_player_dispose (GObject *object)
{
  ClapPlayer *self = CLAP_PLAYER (object);

  destroy_pipeline (self);
  if (self->paintable != NULL)
    clap_video_paintable_clear (self->paintable);

  gtk_widget_dispose_template (GTK_WIDGET (self), CLAP_TYPE_PLAYER);

  g_clear_object (&self->paintable);
  g_clear_object (&self->file);

  G_OBJECT_CLASS (clap_player_parent_class)->dispose (object);
}

static void
clap_player_finalize (GObject *object)
{
  ClapPlayer *self = CLAP_PLAYER (object);

  g_clear_error (&self->error);
  g_clear_pointer (&self->missing_plugin, g_free);

  G_OBJECT_CLASS (clap_player_parent_class)->finalize (object);
}

static void
clap_player_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  ClapPlayer *self = CLAP_PLAYER (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_PLAYING:
      g_value_set_boolean (value, self->playing);
      break;
    case PROP_POSITION:
      g_value_set_int64 (value, self->position);
      break;
    case PROP_DURATION:
      g_value_set_int64 (value, self->duration);
      break;
    case PROP_LOOP:
      g_value_set_boolean (value, self->loop);
      break;
    case PROP_MUTED:
      g_value_set_boolean (value, self->muted);
      break;
    case PROP_VOLUME:
      g_value_set_double (value, self->volume);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_PAINTABLE:
      g_value_set_object (value, self->paintable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_player_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  ClapPlayer *self = CLAP_PLAYER (object);

  switch (prop_id)
    {
    case PROP_FILE:
      clap_player_set_file (self, g_value_get_object (value));
      break;
    case PROP_PLAYING:
      clap_player_set_playing (self, g_value_get_boolean (value));
      break;
    case PROP_LOOP:
      clap_player_set_loop (self, g_value_get_boolean (value));
      break;
    case PROP_MUTED:
      clap_player_set_muted (self, g_value_get_boolean (value));
      break;
    case PROP_VOLUME:
      clap_player_set_volume (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_player_class_init (ClapPlayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /* The application normally initialised GStreamer already; this keeps
   * the widget usable on its own (tests, other programs). */
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
  gst_pb_utils_init ();

  object_class->dispose = clap_player_dispose;
  object_class->finalize = clap_player_finalize;
  object_class->get_property = clap_player_get_property;
  object_class->set_property = clap_player_set_property;

  widget_class->realize = clap_player_realize;
  widget_class->get_request_mode = clap_player_get_request_mode;
  widget_class->measure = clap_player_measure;
  widget_class->size_allocate = clap_player_size_allocate;
  widget_class->snapshot = clap_player_snapshot;

  properties[PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL,
                         G_TYPE_FILE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAYING] =
    g_param_spec_boolean ("playing", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_POSITION] =
    g_param_spec_int64 ("position", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DURATION] =
    g_param_spec_int64 ("duration", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOOP] =
    g_param_spec_boolean ("loop", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MUTED] =
    g_param_spec_boolean ("muted", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VOLUME] =
    g_param_spec_double ("volume", NULL, NULL,
                         0.0, 1.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL,
                        G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAINTABLE] =
    g_param_spec_object ("paintable", NULL, NULL,
                         GDK_TYPE_PAINTABLE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  _clap_player_resources_register_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/app/clapboard/Clapboard/player/clap-player.ui");
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, content);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, video_overlay);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, picture);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, error_box);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, error_label);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, play_button);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, seek_scale);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, seek_adjustment);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, position_label);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, duration_label);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, volume_button);
  gtk_widget_class_bind_template_child (widget_class, ClapPlayer, volume_adjustment);
  gtk_widget_class_bind_template_callback (widget_class, on_seek_change_value);
  gtk_widget_class_bind_template_callback (widget_class, on_video_released);

  gtk_widget_class_install_action (widget_class, "player.play-pause", NULL, play_pause_action);
  gtk_widget_class_install_action (widget_class, "player.seek-relative", "x", seek_relative_action);
  gtk_widget_class_install_property_action (widget_class, "player.loop", "loop");
  gtk_widget_class_install_property_action (widget_class, "player.muted", "muted");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, "player.play-pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Space, 0, "player.play-pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0,
                                       "player.seek-relative", "x", (gint64) -SEEK_STEP_US);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0,
                                       "player.seek-relative", "x", (gint64) SEEK_STEP_US);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, 0, "player.muted", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, 0, "player.loop", NULL);

  gtk_widget_class_set_css_name (widget_class, "clap-player");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
clap_player_init (ClapPlayer *self)
{
  self->volume = 1.0;
  self->seek_target = -1;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->paintable = clap_video_paintable_new ();
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (self->paintable));
  g_signal_connect_object (self->paintable, "refresh-needed",
                           G_CALLBACK (on_refresh_needed), self, G_CONNECT_SWAPPED);

  g_object_bind_property_full (self, "position", self->position_label, "label",
                               G_BINDING_SYNC_CREATE, position_to_label, NULL, NULL, NULL);
  g_object_bind_property_full (self, "duration", self->duration_label, "label",
                               G_BINDING_SYNC_CREATE, duration_to_label, NULL, NULL, NULL);
  g_object_bind_property_full (self, "duration", self->seek_adjustment, "upper",
                               G_BINDING_SYNC_CREATE, us_to_seconds, NULL, NULL, NULL);
  g_object_bind_property_full (self, "position", self->seek_adjustment, "value",
                               G_BINDING_SYNC_CREATE, us_to_seconds, NULL, NULL, NULL);
  g_object_bind_property (self, "volume", self->volume_adjustment, "value",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Video player"),
                                  -1);

  update_play_button (self);
  update_volume_button (self);
  update_actions (self);
}

/* A player with no clip; give it one with clap_player_set_file(). */
ClapPlayer *
clap_player_new (void)
{
  return g_object_new (CLAP_TYPE_PLAYER, NULL);
}

/* Loads @file (a local file) and shows its first frame, paused. NULL stops
 * and clears the picture. The previous clip's pipeline is stopped before
 * this returns. */
void
clap_player_set_file (ClapPlayer *self,
                      GFile      *file)
{
  g_autofree char *uri = NULL;

  g_return_if_fail (CLAP_IS_PLAYER (self));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  if (self->file == file
      || (self->file != NULL && file != NULL && g_file_equal (self->file, file)
          && self->error == NULL))
    return;

  stop_pipeline (self);
  clap_video_paintable_clear (self->paintable);
  clear_error (self);
  g_set_object (&self->file, file);

  set_playing_flag (self, FALSE);
  set_position (self, 0);
  set_duration (self, 0);
  self->late_dropped = 0;

  /* Only local files are played, so no network source (and with it no
   * second libsoup) is ever loaded. */
  if (file != NULL && ensure_pipeline (self))
    {
      uri = g_file_get_uri (file);
      g_object_set (self->playbin, "uri", uri, NULL);
      start_pipeline (self, GST_STATE_PAUSED);
    }

  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE]);
}

GFile *
clap_player_get_file (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), NULL);

  return self->file;
}

/* Starts or resumes playback; at the end of the clip, starts over. */
void
clap_player_play (ClapPlayer *self)
{
  g_return_if_fail (CLAP_IS_PLAYER (self));

  if (self->playbin == NULL || self->file == NULL || self->error != NULL)
    return;

  if (self->at_eos)
    {
      self->at_eos = FALSE;
      clap_player_seek (self, 0);
    }

  set_playing_flag (self, TRUE);
  gst_element_set_state (self->playbin, GST_STATE_PLAYING);
}

void
clap_player_pause (ClapPlayer *self)
{
  g_return_if_fail (CLAP_IS_PLAYER (self));

  if (self->playbin == NULL || self->file == NULL || self->error != NULL)
    return;

  set_playing_flag (self, FALSE);
  gst_element_set_state (self->playbin, GST_STATE_PAUSED);
}

/* Whether playback is wanted: TRUE from clap_player_play() until a pause,
 * the end of the clip without loop, or an error. */
gboolean
clap_player_get_playing (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), FALSE);

  return self->playing;
}

void
clap_player_set_playing (ClapPlayer *self,
                         gboolean    playing)
{
  if (playing)
    clap_player_play (self);
  else
    clap_player_pause (self);
}

/* Moves to @position_us, clamped to the clip. Before the clip is prerolled,
 * or while another seek runs, the request waits; a newer one replaces it. */
void
clap_player_seek (ClapPlayer *self,
                  gint64      position_us)
{
  g_return_if_fail (CLAP_IS_PLAYER (self));

  if (self->playbin == NULL || self->file == NULL || self->error != NULL)
    return;

  position_us = MAX (position_us, 0);
  if (self->duration > 0)
    position_us = MIN (position_us, self->duration);

  self->at_eos = FALSE;
  self->seek_target = position_us;
  set_position (self, position_us);
  start_pending_seek (self);
}

/* In microseconds. */
gint64
clap_player_get_position (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), 0);

  return self->position;
}

/* In microseconds; 0 while unknown. */
gint64
clap_player_get_duration (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), 0);

  return self->duration;
}

gboolean
clap_player_get_loop (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), FALSE);

  return self->loop;
}

/* With loop on, the end of the clip seeks back to its start and plays on. */
void
clap_player_set_loop (ClapPlayer *self,
                      gboolean    loop)
{
  g_return_if_fail (CLAP_IS_PLAYER (self));

  loop = !!loop;
  if (self->loop == loop)
    return;

  self->loop = loop;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOOP]);
}

gboolean
clap_player_get_muted (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), FALSE);

  return self->muted;
}

void
clap_player_set_muted (ClapPlayer *self,
                       gboolean    muted)
{
  g_return_if_fail (CLAP_IS_PLAYER (self));

  muted = !!muted;
  if (self->muted == muted)
    return;

  self->muted = muted;
  if (self->playbin != NULL)
    g_object_set (self->playbin, "mute", muted, NULL);

  update_volume_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
}

/* The volume as people hear it, 0 to 1; the pipeline gets its cube, the
 * linear amplitude (as GstStreamVolume's cubic format). */
double
clap_player_get_volume (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), 1.0);

  return self->volume;
}

void
clap_player_set_volume (ClapPlayer *self,
                        double      volume)
{
  g_return_if_fail (CLAP_IS_PLAYER (self));

  volume = CLAMP (volume, 0.0, 1.0);
  if (self->volume == volume)
    return;

  self->volume = volume;
  if (self->playbin != NULL)
    g_object_set (self->playbin, "volume", volume * volume * volume, NULL);

  update_volume_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VOLUME]);
}

/* The video, at its display size (pixel aspect ratio applied); it stays
 * valid for the life of the player. */
GdkPaintable *
clap_player_get_paintable (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), NULL);

  return GDK_PAINTABLE (self->paintable);
}

/* Why the clip cannot be played, in CLAP_PLAYER_ERROR, or NULL. */
const GError *
clap_player_get_error (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), NULL);

  return self->error;
}

GstElement *
_clap_player_get_pipeline (ClapPlayer *self)
{
  g_return_val_if_fail (CLAP_IS_PLAYER (self), NULL);

  return self->playbin;
}

void
_clap_player_get_frame_stats (ClapPlayer              *self,
                              ClapVideoPaintableStats *stats,
                              guint64                 *late_dropped)
{
  g_return_if_fail (CLAP_IS_PLAYER (self));

  if (stats != NULL)
    clap_video_paintable_get_stats (self->paintable, stats);
  if (late_dropped != NULL)
    *late_dropped = self->late_dropped;
}
