/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>
#include <gst/gst.h>
#include <glib/gstdio.h>

#include "clap-composer-private.h"
#include "clap-input-zone-private.h"
#include "clap-media.h"
#include "ui-test-util.h"
#include "clap-resources.h"
#include "clap-test-files.h"

/* The composer as a person uses it: choosing a model and its options,
 * writing, dropping and pasting inputs, reading the price and the reason
 * Generate is not available. Inputs are real files made at test time. */

typedef struct {
  GtkWidget    *window;
  ClapComposer *composer;
} Fixture;

static char *fixtures;
static char *png_frame;    /* 640 × 360 */
static char *png_second;   /* 480 × 640 */
static char *png_tiny;     /* 1 × 1 */
static char *png_wide;     /* 3000 × 300 */
static char *png_text;     /* text named .png */
static char *png_empty;    /* 0 bytes */
static char *mp4_2s;
static char *mp4_12s;
static char *mp4_40s;
static gboolean have_encoder;

/* Waiting without sleeping: the loop runs until @cond holds, woken every
 * few milliseconds, and gives up loudly after a deadline. */
static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

#define WAIT_UNTIL(cond)                                                     \
  G_STMT_START {                                                             \
    gint64 end_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;             \
    guint wake_ = g_timeout_add (5, wake, NULL);                             \
    while (!(cond))                                                          \
      {                                                                      \
        if (g_get_monotonic_time () > end_)                                  \
          g_error ("timed out waiting for %s", #cond);                       \
        g_main_context_iteration (NULL, TRUE);                               \
      }                                                                      \
    g_source_remove (wake_);                                                 \
  } G_STMT_END

/* Files ---------------------------------------------------------------------- */

static char *
make_png (const char *name,
          int         width,
          int         height)
{
  char *path = g_build_filename (fixtures, name, NULL);
  gsize stride = (gsize) width * 4;
  guchar *data = g_malloc (stride * height);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar *p = data + y * stride + x * 4;
        p[0] = (guchar) (x * 255 / MAX (width, 1));
        p[1] = (guchar) (y * 255 / MAX (height, 1));
        p[2] = 128;
        p[3] = 255;
      }

  bytes = g_bytes_new_take (data, stride * height);
  texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, bytes, stride);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  return path;
}

/* A real H.264 MP4 of @seconds at 640 × 360, 5 frames a second. */
static char *
make_mp4 (const char *name,
          guint       seconds)
{
  char *path = g_build_filename (fixtures, name, NULL);
  g_autofree char *description = NULL;
  g_autoptr(GstElement) pipeline = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  description = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball ! "
                                 "video/x-raw,width=640,height=360,framerate=5/1 ! "
                                 "x264enc speed-preset=ultrafast key-int-max=10 ! "
                                 "mp4mux ! filesink location=\"%s\"", seconds * 5, path);
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return path;
}

static void
make_fixtures (void)
{
  g_autoptr(GstElementFactory) x264 = gst_element_factory_find ("x264enc");
  g_autoptr(GstElementFactory) mux = gst_element_factory_find ("mp4mux");

  fixtures = g_dir_make_tmp ("clap-composer-XXXXXX", NULL);
  png_frame = make_png ("frame.png", 640, 360);
  png_second = make_png ("last frame.png", 480, 640);
  png_tiny = make_png ("tiny.png", 1, 1);
  png_wide = make_png ("wide.png", 3000, 300);

  png_text = g_build_filename (fixtures, "notes.png", NULL);
  g_assert_true (g_file_set_contents (png_text, "Not an image, just words.\n", -1, NULL));
  png_empty = g_build_filename (fixtures, "empty.png", NULL);
  g_assert_true (g_file_set_contents (png_empty, "", 0, NULL));

  have_encoder = x264 != NULL && mux != NULL;
  if (have_encoder)
    {
      mp4_2s = make_mp4 ("two.mp4", 2);
      mp4_12s = make_mp4 ("twelve.mp4", 12);
      mp4_40s = make_mp4 ("forty.mp4", 40);
    }
}

/* The message the composer must show: the media checks' own. */
static char *
expected_refusal (const char *path,
                  gboolean    video,
                  double      max_seconds,
                  int         code)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;

  if (clap_media_probe_file (file, &info, NULL, &error))
    {
      if (video)
        g_assert_false (clap_media_check_video (&info, max_seconds, &error));
      else
        g_assert_false (clap_media_check_image (&info, &error));
    }
  g_assert_error (error, CLAP_MEDIA_ERROR, code);
  return g_strdup (error->message);
}

/* Fixture -------------------------------------------------------------------- */

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();

  fx->window = gtk_window_new ();
  fx->composer = clap_composer_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (fx->composer));
  gtk_window_set_child (GTK_WINDOW (fx->window), scroller);
  gtk_window_set_default_size (GTK_WINDOW (fx->window), 420, 900);
  gtk_window_present (GTK_WINDOW (fx->window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (fx->composer)));
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  ClapComposer *composer = fx->composer;

  /* Nothing outlives the window: no worker still holds a zone, no cycle. */
  g_object_add_weak_pointer (G_OBJECT (composer), (gpointer *) &composer);
  gtk_window_destroy (GTK_WINDOW (fx->window));
  WAIT_UNTIL (composer == NULL);
}

/* Helpers -------------------------------------------------------------------- */

static ClapRequest *
request_of (Fixture *fx)
{
  return clap_composer_get_request (fx->composer);
}

static const ClapModelSpec *
model_of (Fixture *fx)
{
  return clap_request_get_model_spec (request_of (fx));
}

static void
select_model (Fixture    *fx,
              const char *id)
{
  for (guint i = 0; i < clap_catalog_get_n_models (); i++)
    if (g_str_equal (clap_catalog_get_model (i)->id, id))
      adw_combo_row_set_selected (_clap_composer_get_model_row (fx->composer), i);

  g_assert_cmpstr (clap_request_get_model (request_of (fx)), ==, id);
}

static void
select_choice (Fixture    *fx,
               ClapOption  option,
               const char *value)
{
  const ClapOptionSpec *spec = clap_model_get_option (model_of (fx), option);
  GtkWidget *row = _clap_composer_get_option_row (fx->composer, option);
  guint i = 0;

  g_assert_nonnull (spec);
  g_assert_true (ADW_IS_COMBO_ROW (row));
  for (const ClapChoice *choice = spec->choices; choice->value != NULL; choice++, i++)
    if (g_str_equal (choice->value, value))
      {
        adw_combo_row_set_selected (ADW_COMBO_ROW (row), i);
        return;
      }

  g_assert_not_reached ();
}

static guint
duration_index (const ClapModelSpec *model,
                guint                seconds)
{
  guint i = 0;

  if (model->durations == NULL)
    return seconds - model->min_duration;

  for (const guint *d = model->durations; *d != 0; d++, i++)
    if (*d == seconds)
      return i;

  g_assert_not_reached ();
}

static void
select_duration (Fixture *fx,
                 guint    seconds)
{
  GtkWidget *row = _clap_composer_get_option_row (fx->composer, CLAP_OPTION_DURATION);

  g_assert_true (ADW_IS_COMBO_ROW (row));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), duration_index (model_of (fx), seconds));
  g_assert_cmpuint (clap_request_get_duration (request_of (fx)), ==, seconds);
}

static GtkSwitch *
switch_of (Fixture    *fx,
           ClapOption  option)
{
  GtkWidget *row = _clap_composer_get_option_row (fx->composer, option);

  g_assert_nonnull (row);
  return GTK_SWITCH (ui_test_find_type (row, GTK_TYPE_SWITCH));
}

static void
set_prompt (Fixture    *fx,
            const char *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (_clap_composer_get_prompt_view (fx->composer)),
                            text, -1);
}

static const char *
price_text (Fixture *fx)
{
  return gtk_label_get_label (_clap_composer_get_price_label (fx->composer));
}

static char *
expected_price (const char *model,
                const char *mode,
                const char *version,
                gboolean    sound,
                gboolean    voice,
                guint       seconds,
                guint       n_takes)
{
  g_autofree char *formatted = NULL;
  ClapPrice price = 0;

  g_assert_true (clap_catalog_estimate (model, mode, version, sound, voice, seconds, &price));
  formatted = clap_price_format (price * n_takes);
  return g_strdup_printf ("≈\u00a0%s", formatted);
}

static gboolean
generate_enabled (Fixture *fx)
{
  return gtk_widget_get_sensitive (GTK_WIDGET (_clap_composer_get_generate_button (fx->composer)));
}

static const char *
generate_tooltip (Fixture *fx)
{
  return gtk_widget_get_tooltip_text (GTK_WIDGET (_clap_composer_get_generate_button (fx->composer)));
}

static char *
validation_message (Fixture *fx)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (clap_request_validate (request_of (fx), &error));
  return g_strdup (error->message);
}

/* Asserts Generate is off, with the validation message as its tooltip and,
 * quietly, below it. */
static void
assert_refused_with (Fixture    *fx,
                     const char *message)
{
  g_autofree char *expected = validation_message (fx);
  GtkLabel *reason = _clap_composer_get_reason_label (fx->composer);

  g_assert_cmpstr (expected, ==, message);
  g_assert_false (generate_enabled (fx));
  g_assert_cmpstr (generate_tooltip (fx), ==, message);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (reason)));
  g_assert_cmpstr (gtk_label_get_label (reason), ==, message);
}

static void
drop_value (ClapInputZone *zone,
            const GValue  *value)
{
  GtkDropTarget *target = _clap_input_zone_get_drop_target (zone);
  gboolean handled = FALSE;

  g_signal_emit_by_name (target, "drop", value, 20.0, 20.0, &handled);
  g_assert_true (handled);
}

/* Drops @path as a file manager does, as a file list. */
static void
drop_file (ClapInputZone *zone,
           const char    *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_auto(GValue) value = G_VALUE_INIT;
  GSList *list = g_slist_prepend (NULL, file);

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
  g_slist_free (list);
  drop_value (zone, &value);

  /* Checking runs in a worker thread: the drop returns at once. */
  g_assert_true (clap_input_zone_get_busy (zone));
  WAIT_UNTIL (!clap_input_zone_get_busy (zone));
}

/* Tests ---------------------------------------------------------------------- */

/* The option rows of each model are the catalogue's, in its order, with its
 * labels and choices; zones and the negative prompt follow it too. */
static void
test_rows_follow_catalogue (Fixture       *fx,
                            gconstpointer  data)
{
  for (guint m = 0; m < clap_catalog_get_n_models (); m++)
    {
      const ClapModelSpec *model = clap_catalog_get_model (m);
      GPtrArray *rows;
      guint r = 0;

      select_model (fx, model->id);
      rows = _clap_composer_get_rows (fx->composer);

      for (const ClapOptionSpec *spec = model->options; spec->wire_name != NULL; spec++)
        {
          GtkWidget *row;

          switch (spec->option)
            {
            case CLAP_OPTION_PROMPT:
            case CLAP_OPTION_NEGATIVE_PROMPT:
            case CLAP_OPTION_IMAGE:
            case CLAP_OPTION_IMAGE_TAIL:
            case CLAP_OPTION_MOTION_VIDEO:
            case CLAP_OPTION_CALLBACK_URL:
              g_assert_null (_clap_composer_get_option_row (fx->composer, spec->option));
              continue;

            case CLAP_OPTION_VOICES:
              for (guint v = 0; v < model->max_voices; v++, r++)
                {
                  g_autofree char *title = g_strdup_printf ("Voice %u ID", v + 1);

                  row = g_ptr_array_index (rows, r);
                  g_assert_true (ADW_IS_ENTRY_ROW (row));
                  g_assert_true (row == _clap_composer_get_voice_row (fx->composer, v));
                  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                                   title);
                }
              continue;

            default:
              break;
            }

          g_assert_cmpuint (r, <, rows->len);
          row = g_ptr_array_index (rows, r++);
          g_assert_true (row == _clap_composer_get_option_row (fx->composer, spec->option));
          g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                           spec->label);

          if (spec->option == CLAP_OPTION_DURATION)
            {
              if (model->flags & CLAP_MODEL_DURATION_IS_VIDEO)
                {
                  /* shown, not chosen */
                  g_assert_false (ADW_IS_COMBO_ROW (row));
                  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                                   "Follows the motion video");
                }
              else
                {
                  GListModel *items = adw_combo_row_get_model (ADW_COMBO_ROW (row));
                  guint n = 0;

                  for (guint s = 1; s <= 60; s++)
                    if (clap_model_allows_duration (model, s))
                      {
                        g_autofree char *label = g_strdup_printf ("%u s", s);
                        g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), n),
                                         ==, label);
                        n++;
                      }
                  g_assert_cmpuint (g_list_model_get_n_items (items), ==, n);
                }
            }
          else if (spec->wire_kind == CLAP_WIRE_SWITCH)
            {
              g_assert_nonnull (switch_of (fx, spec->option));
            }
          else
            {
              GListModel *items = adw_combo_row_get_model (ADW_COMBO_ROW (row));
              guint n = 0;

              for (const ClapChoice *choice = spec->choices; choice->value != NULL; choice++, n++)
                g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), n), ==,
                                 choice->label);
              g_assert_cmpuint (g_list_model_get_n_items (items), ==, n);
            }
        }
      g_assert_cmpuint (r, ==, rows->len);

      /* the zones and the negative prompt */
      {
        const ClapOption slots[] = { CLAP_OPTION_IMAGE, CLAP_OPTION_IMAGE_TAIL,
                                     CLAP_OPTION_MOTION_VIDEO };

        for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
          {
            ClapInputZone *zone = _clap_composer_get_zone (fx->composer, slots[i]);
            const ClapOptionSpec *spec = clap_model_get_option (model, slots[i]);

            g_assert_cmpint (gtk_widget_get_visible (GTK_WIDGET (zone)), ==, spec != NULL);
            if (spec != NULL)
              g_assert_cmpstr (clap_input_zone_get_title (zone), ==, spec->label);
          }

        g_assert_cmpint (gtk_widget_is_visible (_clap_composer_get_negative_row (fx->composer)), ==,
                         clap_model_has_option (model, CLAP_OPTION_NEGATIVE_PROMPT));
      }
    }
}

static void
set_takes (Fixture *fx,
           guint    n)
{
  gtk_spin_button_set_value (_clap_composer_get_takes_spin (fx->composer), n);
}

/* The price follows every option and the takes count, and is the
 * catalogue's estimate. */
static void
test_price_follows_options (Fixture       *fx,
                            gconstpointer  data)
{
  const guint v26_durations[] = { 5, 10 };
  const guint v3_durations[] = { 3, 8, 15 };
  const char *modes[] = { "std", "pro" };
  guint n = 0;

  select_model (fx, "kling-v2-6");
  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    for (guint d = 0; d < G_N_ELEMENTS (v26_durations); d++)
      for (int sound = 0; sound <= 1; sound++)
        {
          g_autofree char *want = NULL;
          guint takes = 1 + n++ % 4;

          select_choice (fx, CLAP_OPTION_MODE, modes[m]);
          select_duration (fx, v26_durations[d]);
          set_takes (fx, takes);

          if (sound && g_str_equal (modes[m], "std"))
            {
              /* not sold: the switch cannot be turned on */
              g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (switch_of (fx, CLAP_OPTION_SOUND))));
              continue;
            }

          gtk_switch_set_active (switch_of (fx, CLAP_OPTION_SOUND), sound);
          g_assert_cmpint (clap_request_get_sound (request_of (fx)), ==, sound);
          want = expected_price ("kling-v2-6", modes[m], NULL, sound, FALSE, v26_durations[d], takes);
          g_assert_cmpstr (price_text (fx), ==, want);
        }

  /* the detail names the takes and the price of one */
  set_takes (fx, 3);
  {
    g_autofree char *one = NULL;
    g_autofree char *detail = NULL;
    ClapPrice price;

    g_assert_true (clap_request_estimate (request_of (fx), &price));
    one = clap_price_format (price);
    detail = g_strdup_printf ("Estimate: 3 takes × %s", one);
    g_assert_cmpstr (gtk_label_get_label (_clap_composer_get_price_detail (fx->composer)), ==,
                     detail);
    g_assert_cmpstr (gtk_button_get_label (_clap_composer_get_generate_button (fx->composer)), ==,
                     "_Generate 3 Takes");
  }

  select_model (fx, "kling-v3");
  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    for (guint d = 0; d < G_N_ELEMENTS (v3_durations); d++)
      for (int sound = 0; sound <= 1; sound++)
        {
          g_autofree char *want = NULL;
          guint takes = 1 + n++ % 4;

          select_choice (fx, CLAP_OPTION_MODE, modes[m]);
          select_duration (fx, v3_durations[d]);
          set_takes (fx, takes);
          /* audio with std is sold on v3 */
          g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (switch_of (fx, CLAP_OPTION_SOUND))));
          gtk_switch_set_active (switch_of (fx, CLAP_OPTION_SOUND), sound);
          want = expected_price ("kling-v3", modes[m], NULL, sound, FALSE, v3_durations[d], takes);
          g_assert_cmpstr (price_text (fx), ==, want);
        }

  /* motion control: no price without a video, then per second of it */
  select_model (fx, "kling-motion-control");
  set_takes (fx, 1);
  g_assert_cmpstr (price_text (fx), ==, "No estimate yet");
  g_assert_cmpstr (gtk_label_get_label (_clap_composer_get_price_detail (fx->composer)), ==,
                   "Add a motion video to see the price.");
  {
    ClapInputZone *zone = _clap_composer_get_zone (fx->composer, CLAP_OPTION_MOTION_VIDEO);
    const char *versions[] = { "2.6", "3.0" };
    const double lengths[] = { 3.0, 7.5, 30.0 };

    g_assert_true (clap_input_zone_load_url (zone, "https://example.com/dance.mp4"));
    g_assert_cmpstr (clap_request_get_motion_video (request_of (fx)), ==,
                     "https://example.com/dance.mp4");
    g_assert_cmpstr (gtk_label_get_label (_clap_composer_get_price_detail (fx->composer)), ==,
                     "Give the motion video’s length to see the price.");

    for (guint v = 0; v < G_N_ELEMENTS (versions); v++)
      for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
        for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
          {
            g_autofree char *want = NULL;
            guint takes = 1 + n++ % 4;

            select_choice (fx, CLAP_OPTION_VERSION, versions[v]);
            select_choice (fx, CLAP_OPTION_MODE, modes[m]);
            clap_input_zone_set_duration (zone, lengths[l]);
            set_takes (fx, takes);
            g_assert_cmpfloat (clap_request_get_motion_seconds (request_of (fx)), ==, lengths[l]);
            /* billed per started second */
            want = expected_price ("kling-motion-control", modes[m], versions[v], FALSE, FALSE,
                                   (guint) ceil (lengths[l]), takes);
            g_assert_cmpstr (price_text (fx), ==, want);
          }
  }
}

typedef struct {
  ClapRequest *request;
  guint        n_takes;
  guint        count;
} Generated;

static void
on_generate (ClapComposer *composer,
             ClapRequest  *request,
             guint         n_takes,
             Generated    *generated)
{
  g_set_object (&generated->request, request);
  generated->n_takes = n_takes;
  generated->count++;
}

/* Generate is off, saying why, until the request is valid; then it sends a
 * copy with the number of takes. */
static void
test_generate_validation (Fixture       *fx,
                          gconstpointer  data)
{
  Generated generated = { NULL, 0, 0 };
  g_autofree char *long_prompt = g_strnfill (2501, 'a');
  ClapRequest *request = request_of (fx);

  g_signal_connect (fx->composer, "generate", G_CALLBACK (on_generate), &generated);
  select_model (fx, "kling-v2-6");

  /* empty prompt: Ctrl+Enter sends nothing and puts the cursor in it */
  assert_refused_with (fx, "Write a prompt that describes the clip.");
  gtk_widget_grab_focus (GTK_WIDGET (_clap_composer_get_takes_spin (fx->composer)));
  clap_composer_generate (fx->composer);
  g_assert_cmpuint (generated.count, ==, 0);
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (_clap_composer_get_prompt_view (fx->composer))));

  /* valid */
  set_prompt (fx, "A lighthouse at dawn");
  g_assert_true (generate_enabled (fx));
  g_assert_cmpstr (generate_tooltip (fx), ==, "Generate (Ctrl+Enter)");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (_clap_composer_get_reason_label (fx->composer))));

  /* too long */
  set_prompt (fx, long_prompt);
  assert_refused_with (fx, "The prompt has 2501 characters; the limit is 2500.");

  /* audio on Kling 2.6 needs pro: it cannot be chosen in std... */
  set_prompt (fx, "A lighthouse at dawn");
  select_choice (fx, CLAP_OPTION_MODE, "std");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (switch_of (fx, CLAP_OPTION_SOUND))));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (_clap_composer_get_option_row (fx->composer, CLAP_OPTION_SOUND))),
                   ==, "Needs the Professional mode");
  /* ...and a request that has it anyway is refused, with the switch
   * sensitive so it can be turned off */
  clap_request_set_sound (request, TRUE);
  assert_refused_with (fx, "Audio on Kling 2.6 needs the Professional mode.");
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (switch_of (fx, CLAP_OPTION_SOUND))));
  gtk_switch_set_active (switch_of (fx, CLAP_OPTION_SOUND), FALSE);
  g_assert_true (generate_enabled (fx));

  /* in pro it can be turned on; back to std turns it off */
  select_choice (fx, CLAP_OPTION_MODE, "pro");
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (switch_of (fx, CLAP_OPTION_SOUND))));
  gtk_switch_set_active (switch_of (fx, CLAP_OPTION_SOUND), TRUE);
  g_assert_true (clap_request_get_sound (request));
  g_assert_true (generate_enabled (fx));
  select_choice (fx, CLAP_OPTION_MODE, "std");
  g_assert_false (clap_request_get_sound (request));
  g_assert_true (generate_enabled (fx));

  /* a last frame needs a first frame */
  clap_request_set_image_tail (request, "https://example.com/last.png");
  assert_refused_with (fx, "A last frame needs a first frame too.");
  clap_request_set_image (request, "https://example.com/first.png");
  g_assert_true (generate_enabled (fx));

  /* generate: a copy, with the takes */
  set_takes (fx, 3);
  clap_composer_generate (fx->composer);
  g_assert_cmpuint (generated.count, ==, 1);
  g_assert_nonnull (generated.request);
  g_assert_true (generated.request != request);
  g_assert_cmpuint (generated.n_takes, ==, 3);
  g_assert_cmpstr (clap_request_get_prompt (generated.request), ==, "A lighthouse at dawn");
  g_assert_cmpstr (clap_request_get_image (generated.request), ==, "https://example.com/first.png");
  g_assert_true (clap_request_validate (generated.request, NULL));

  /* the copy does not follow the composer */
  set_prompt (fx, "Something else");
  g_assert_cmpstr (clap_request_get_prompt (generated.request), ==, "A lighthouse at dawn");

  /* the button's action does the same */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->composer), "composer.generate", NULL));
  g_assert_cmpuint (generated.count, ==, 2);
  g_assert_cmpstr (clap_request_get_prompt (generated.request), ==, "Something else");

  /* motion control without its inputs */
  select_model (fx, "kling-motion-control");
  clap_request_set_image (request, NULL);
  assert_refused_with (fx, "Kling Motion Control needs a character image.");
  clap_composer_generate (fx->composer);
  g_assert_cmpuint (generated.count, ==, 2);

  g_clear_object (&generated.request);
}

/* A PNG dropped from a file manager becomes the first frame, with its name,
 * size and pixel size; the other drop types work too. */
static void
test_drop_image (Fixture       *fx,
                 gconstpointer  data)
{
  ClapInputZone *image = _clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE);
  ClapInputZone *tail = _clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE_TAIL);
  GtkDropTarget *target = _clap_input_zone_get_drop_target (image);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (image));
  GdkContentFormats *formats = gtk_drop_target_get_formats (target);
  g_autofree char *size = NULL;
  g_autofree char *details = NULL;
  gboolean found = FALSE;
  GStatBuf st;

  /* the zone's own drop target, taking files, file lists and text */
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
      found |= controller == G_OBJECT (target);
    }
  g_assert_true (found);
  g_assert_true (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST));
  g_assert_true (gdk_content_formats_contain_gtype (formats, G_TYPE_FILE));
  g_assert_true (gdk_content_formats_contain_gtype (formats, G_TYPE_STRING));

  select_model (fx, "kling-v2-6");
  drop_file (image, png_frame);
  g_assert_null (clap_input_zone_get_error (image));
  g_assert_cmpstr (clap_request_get_image (request_of (fx)), ==, png_frame);
  g_assert_cmpstr (gtk_label_get_label (_clap_input_zone_get_name_label (image)), ==, "frame.png");
  g_assert_cmpint (g_stat (png_frame, &st), ==, 0);
  size = g_format_size (st.st_size);
  details = g_strdup_printf ("%s · 640 × 360", size);
  g_assert_cmpstr (gtk_label_get_label (_clap_input_zone_get_details_label (image)), ==, details);
  g_assert_nonnull (gtk_picture_get_paintable (_clap_input_zone_get_thumbnail (image)));
  /* downscaled for the thumbnail */
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (gtk_picture_get_paintable (_clap_input_zone_get_thumbnail (image))),
                   <=, 192);

  /* a single GFile, onto the last frame */
  {
    g_autoptr(GFile) file = g_file_new_for_path (png_second);
    g_auto(GValue) value = G_VALUE_INIT;

    g_value_init (&value, G_TYPE_FILE);
    g_value_set_object (&value, file);
    drop_value (tail, &value);
    WAIT_UNTIL (!clap_input_zone_get_busy (tail));
    g_assert_cmpstr (clap_request_get_image_tail (request_of (fx)), ==, png_second);
    g_assert_cmpstr (gtk_label_get_label (_clap_input_zone_get_name_label (tail)), ==,
                     "last frame.png");
  }

  /* a text/uri-list */
  {
    g_autofree char *uri = g_filename_to_uri (png_frame, NULL, NULL);
    g_autofree char *list = g_strdup_printf ("# from a file manager\r\n%s\r\n", uri);
    g_auto(GValue) value = G_VALUE_INIT;

    g_value_init (&value, G_TYPE_STRING);
    g_value_set_string (&value, list);
    drop_value (tail, &value);
    WAIT_UNTIL (!clap_input_zone_get_busy (tail));
    g_assert_cmpstr (clap_request_get_image_tail (request_of (fx)), ==, png_frame);
  }

  /* a web address */
  {
    g_auto(GValue) value = G_VALUE_INIT;

    g_value_init (&value, G_TYPE_STRING);
    g_value_set_string (&value, "https://example.com/pictures/last%20frame.png");
    drop_value (tail, &value);
    g_assert_cmpstr (clap_request_get_image_tail (request_of (fx)), ==,
                     "https://example.com/pictures/last%20frame.png");
    g_assert_cmpstr (gtk_label_get_label (_clap_input_zone_get_name_label (tail)), ==,
                     "last frame.png");
    g_assert_cmpstr (gtk_label_get_label (_clap_input_zone_get_details_label (tail)), ==,
                     "Web address · example.com");
  }

  /* an insecure address is refused */
  {
    g_auto(GValue) value = G_VALUE_INIT;

    g_value_init (&value, G_TYPE_STRING);
    g_value_set_string (&value, "http://example.com/a.png");
    g_signal_emit_by_name (_clap_input_zone_get_drop_target (tail), "drop", &value, 1.0, 1.0,
                           &found);
    g_assert_cmpstr (clap_input_zone_get_error (tail), ==,
                     "“http://example.com/a.png” is not a secure address; only https:// "
                     "addresses are used (plain http only on this computer).");
    g_assert_cmpstr (clap_request_get_image_tail (request_of (fx)), ==,
                     "https://example.com/pictures/last%20frame.png");
  }

  /* removed */
  clap_input_zone_clear (tail);
  g_assert_null (clap_request_get_image_tail (request_of (fx)));
  g_assert_null (clap_input_zone_get_error (tail));
}

/* Files that break the limits are refused with the checks' own message, and
 * nothing is set; a refusal leaves a good file in place. */
static void
test_refusals (Fixture       *fx,
               gconstpointer  data)
{
  ClapInputZone *zone = _clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE);
  struct {
    const char *path;
    int         code;
    const char *message;
  } cases[] = {
    { png_text, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
      "The file is not a PNG or JPEG image, nor an MP4 or MOV video." },
    { png_empty, CLAP_MEDIA_ERROR_EMPTY, "The file is empty." },
    { png_tiny, CLAP_MEDIA_ERROR_TOO_SMALL,
      "The image is 1 × 1 pixels; each side must be at least 300." },
    { png_wide, CLAP_MEDIA_ERROR_BAD_ASPECT,
      "The image is 3000 × 300 pixels, too narrow; its aspect ratio must be between 1:2.5 "
      "and 2.5:1." },
  };

  select_model (fx, "kling-v2-6");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = expected_refusal (cases[i].path, FALSE, 0, cases[i].code);
      GtkLabel *error_label = _clap_input_zone_get_error_label (zone);

      g_assert_cmpstr (expected, ==, cases[i].message);
      drop_file (zone, cases[i].path);
      g_assert_cmpstr (clap_input_zone_get_error (zone), ==, expected);
      g_assert_cmpstr (gtk_label_get_label (error_label), ==, expected);
      g_assert_true (gtk_widget_is_visible (GTK_WIDGET (error_label)));
      g_assert_null (clap_input_zone_get_value (zone));
      g_assert_null (clap_request_get_image (request_of (fx)));
    }

  /* a good file, then a bad one: the good one stays */
  drop_file (zone, png_frame);
  g_assert_null (clap_input_zone_get_error (zone));
  g_assert_false (gtk_widget_is_visible (GTK_WIDGET (_clap_input_zone_get_error_label (zone))));
  drop_file (zone, png_tiny);
  g_assert_nonnull (clap_input_zone_get_error (zone));
  g_assert_cmpstr (clap_request_get_image (request_of (fx)), ==, png_frame);

  /* a video where an image belongs */
  if (have_encoder)
    {
      drop_file (zone, mp4_12s);
      g_assert_cmpstr (clap_input_zone_get_error (zone), ==,
                       "This is a video; an image (PNG or JPEG) is needed here.");
      g_assert_cmpstr (clap_request_get_image (request_of (fx)), ==, png_frame);
    }

  /* a path set on the request from outside is checked the same way, and
   * the request gives it up when it fails */
  clap_request_set_image (request_of (fx), png_empty);
  WAIT_UNTIL (!clap_input_zone_get_busy (zone));
  g_assert_cmpstr (clap_input_zone_get_error (zone), ==, "The file is empty.");
  g_assert_cmpstr (clap_request_get_image (request_of (fx)), ==, png_frame);

  /* with that error showing, a good path from outside is taken */
  clap_request_set_image (request_of (fx), png_second);
  g_assert_true (clap_input_zone_get_busy (zone));
  WAIT_UNTIL (!clap_input_zone_get_busy (zone));
  g_assert_null (clap_input_zone_get_error (zone));
  g_assert_cmpstr (clap_request_get_image (request_of (fx)), ==, png_second);
  g_assert_cmpstr (clap_input_zone_get_value (zone), ==, png_second);

  /* an insecure address from outside, twice: refused both times */
  for (guint i = 0; i < 2; i++)
    {
      clap_request_set_image (request_of (fx), "http://example.com/a.png");
      g_assert_cmpstr (clap_request_get_image (request_of (fx)), ==, png_second);
      g_assert_nonnull (strstr (clap_input_zone_get_error (zone), "not a secure address"));
    }
}

/* Files dropped on the composer outside the zones go to the zone of
 * their kind. */
static void
test_drop_on_composer (Fixture       *fx,
                       gconstpointer  data)
{
  GtkDropTarget *target = _clap_composer_get_drop_target (fx->composer);
  ClapRequest *request = request_of (fx);
  gboolean handled = FALSE;

  g_assert_true (gdk_content_formats_contain_gtype (gtk_drop_target_get_formats (target),
                                                    GDK_TYPE_FILE_LIST));
  select_model (fx, "kling-motion-control");

  if (have_encoder)
    {
      g_autoptr(GFile) file = g_file_new_for_path (mp4_12s);
      GSList *list = g_slist_prepend (NULL, file);
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, GDK_TYPE_FILE_LIST);
      g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
      g_slist_free (list);
      g_signal_emit_by_name (target, "drop", &value, 5.0, 5.0, &handled);
      g_assert_true (handled);
      WAIT_UNTIL (clap_request_get_motion_video (request) != NULL);
      g_assert_cmpstr (clap_request_get_motion_video (request), ==, mp4_12s);
    }

  {
    g_autoptr(GFile) file = g_file_new_for_path (png_second);
    g_auto(GValue) value = G_VALUE_INIT;

    g_value_init (&value, G_TYPE_FILE);
    g_value_set_object (&value, file);
    g_signal_emit_by_name (target, "drop", &value, 5.0, 5.0, &handled);
    g_assert_true (handled);
    WAIT_UNTIL (clap_request_get_image (request) != NULL);
    g_assert_cmpstr (clap_request_get_image (request), ==, png_second);
  }
}

#if !GTK_CHECK_VERSION (4, 10, 0)
typedef struct {
  GtkFileChooser *chooser;
  GFile          *want;
} ChooserQuery;

/* The fallback dialog loads the folder before it can select the file. */
static gboolean
chooser_has_file (ChooserQuery *q)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (q->chooser);

  return file != NULL && g_file_equal (file, q->want);
}

/* Choose File… opens GtkFileChooserNative (GTK 4.8); its answer is used. */
static void
test_file_chooser (Fixture       *fx,
                   gconstpointer  data)
{
  ClapInputZone *zone = _clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE);
  g_autoptr(GFile) file = g_file_new_for_path (png_frame);
  ChooserQuery q = { NULL, file };
  GObject *chooser;
  GListModel *filters;

  g_signal_emit_by_name (_clap_input_zone_get_choose_button (zone), "clicked");
  chooser = _clap_input_zone_get_chooser (zone);
  g_assert_true (GTK_IS_FILE_CHOOSER_NATIVE (chooser));
  filters = gtk_file_chooser_get_filters (GTK_FILE_CHOOSER (chooser));
  g_assert_cmpuint (g_list_model_get_n_items (filters), ==, 1);
  g_object_unref (filters);

  q.chooser = GTK_FILE_CHOOSER (chooser);
  g_assert_true (gtk_file_chooser_set_file (q.chooser, file, NULL));
  WAIT_UNTIL (chooser_has_file (&q));

  /* As the portal would answer */
  gtk_native_dialog_hide (GTK_NATIVE_DIALOG (chooser));
  g_signal_emit_by_name (chooser, "response", GTK_RESPONSE_ACCEPT);
  g_assert_null (_clap_input_zone_get_chooser (zone));
  WAIT_UNTIL (!clap_input_zone_get_busy (zone));
  g_assert_cmpstr (clap_request_get_image (request_of (fx)), ==, png_frame);
}
#endif

/* Closing the window while a file is checked and a paste is read: nothing
 * is touched after the composer is gone (the teardown waits for it to be
 * finalized, under fatal warnings). */
static void
test_dispose_while_busy (Fixture       *fx,
                         gconstpointer  data)
{
  ClapInputZone *zone = _clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE);
  g_autoptr(GFile) file = g_file_new_for_path (png_wide);
  g_autoptr(GdkTexture) texture = gdk_texture_new_from_filename (png_frame, NULL);
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_FILE);
  g_value_set_object (&value, file);
  drop_value (zone, &value);
  g_assert_true (clap_input_zone_get_busy (zone));

  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (fx->composer)), texture);
  g_assert_true (clap_input_zone_paste (_clap_composer_get_zone (fx->composer,
                                                                 CLAP_OPTION_IMAGE_TAIL),
                                        gtk_widget_get_clipboard (GTK_WIDGET (fx->composer))));
}

/* Motion videos: too short and too long are refused; a good one sets the
 * length and the price; the orientation's limit re-checks it. */
static void
test_motion_video (Fixture       *fx,
                   gconstpointer  data)
{
  ClapInputZone *zone = _clap_composer_get_zone (fx->composer, CLAP_OPTION_MOTION_VIDEO);
  ClapRequest *request = request_of (fx);
  GtkWidget *duration_row;
  g_autofree char *too_short = NULL;
  g_autofree char *too_long = NULL;
  g_autofree char *too_long_image = NULL;
  g_autofree char *want = NULL;

  if (!have_encoder)
    {
      g_test_skip ("x264enc or mp4mux is missing");
      return;
    }

  select_model (fx, "kling-motion-control");
  g_assert_cmpint (clap_input_zone_get_kind (zone), ==, CLAP_INPUT_KIND_VIDEO);

  too_short = expected_refusal (mp4_2s, TRUE, CLAP_VIDEO_MAX_SECONDS, CLAP_MEDIA_ERROR_TOO_SHORT);
  g_assert_cmpstr (too_short, ==, "The video lasts 2.0 s; it must last at least 3 s.");
  drop_file (zone, mp4_2s);
  g_assert_cmpstr (clap_input_zone_get_error (zone), ==, too_short);
  g_assert_null (clap_request_get_motion_video (request));

  too_long = expected_refusal (mp4_40s, TRUE, CLAP_VIDEO_MAX_SECONDS, CLAP_MEDIA_ERROR_TOO_LONG);
  g_assert_cmpstr (too_long, ==, "The video lasts 40.0 s; at most 30 s are allowed here.");
  drop_file (zone, mp4_40s);
  g_assert_cmpstr (clap_input_zone_get_error (zone), ==, too_long);
  g_assert_null (clap_request_get_motion_video (request));
  g_assert_cmpfloat (clap_request_get_motion_seconds (request), ==, 0.0);
  g_assert_cmpstr (price_text (fx), ==, "No estimate yet");

  /* a good one: 12 s, 720p on Kling 2.6 */
  drop_file (zone, mp4_12s);
  g_assert_null (clap_input_zone_get_error (zone));
  g_assert_cmpstr (clap_request_get_motion_video (request), ==, mp4_12s);
  g_assert_cmpfloat_with_epsilon (clap_request_get_motion_seconds (request), 12.0, 0.01);
  g_assert_cmpstr (gtk_label_get_label (_clap_input_zone_get_name_label (zone)), ==, "twelve.mp4");
  g_assert_nonnull (strstr (gtk_label_get_label (_clap_input_zone_get_details_label (zone)),
                            "640 × 360 · 12.0 s"));
  g_assert_nonnull (gtk_picture_get_paintable (_clap_input_zone_get_thumbnail (zone)));
  want = expected_price ("kling-motion-control", "std", "2.6", FALSE, FALSE, 12, 1);
  g_assert_cmpstr (price_text (fx), ==, want);
  duration_row = _clap_composer_get_option_row (fx->composer, CLAP_OPTION_DURATION);
  g_assert_nonnull (ui_test_find_type (duration_row, GTK_TYPE_LABEL));

  /* following the image allows 10 s only: the zone says so, Generate too */
  drop_file (_clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE), png_second);
  g_assert_true (generate_enabled (fx));
  select_choice (fx, CLAP_OPTION_CHARACTER_ORIENTATION, "image");
  too_long_image = expected_refusal (mp4_12s, TRUE, CLAP_VIDEO_MAX_SECONDS_IMAGE,
                                     CLAP_MEDIA_ERROR_TOO_LONG);
  g_assert_cmpstr (clap_input_zone_get_error (zone), ==, too_long_image);
  assert_refused_with (fx, "The motion video lasts 12.0 s; when the character follows the image "
                           "it may last at most 10 s.");

  /* back: the video fits again */
  select_choice (fx, CLAP_OPTION_CHARACTER_ORIENTATION, "video");
  g_assert_null (clap_input_zone_get_error (zone));
  g_assert_true (generate_enabled (fx));

  /* 1080p on Kling 3.0 */
  select_choice (fx, CLAP_OPTION_VERSION, "3.0");
  select_choice (fx, CLAP_OPTION_MODE, "pro");
  g_clear_pointer (&want, g_free);
  want = expected_price ("kling-motion-control", "pro", "3.0", FALSE, FALSE, 12, 1);
  g_assert_cmpstr (price_text (fx), ==, want);

  /* removed: no price */
  clap_input_zone_clear (zone);
  g_assert_null (clap_request_get_motion_video (request));
  g_assert_cmpfloat (clap_request_get_motion_seconds (request), ==, 0.0);
  g_assert_cmpstr (price_text (fx), ==, "No estimate yet");
}

/* Ctrl+V: an image on the clipboard becomes a PNG in the cache, then the
 * first frame; a file goes to the zone of its kind; words go to the prompt. */
static void
test_paste (Fixture       *fx,
            gconstpointer  data)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fx->composer));
  ClapRequest *request = request_of (fx);
  g_autoptr(GdkTexture) texture = gdk_texture_new_from_filename (png_frame, NULL);
  g_autofree char *pasted_dir = g_build_filename (g_get_user_cache_dir (), "clapboard", "pasted",
                                                  NULL);
  ClapInputZone *image = _clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE);
  const char *path;

  select_model (fx, "kling-v2-6");

  gdk_clipboard_set_texture (clipboard, texture);
  g_assert_true (clap_composer_paste (fx->composer));
  WAIT_UNTIL (clap_request_get_image (request) != NULL);
  path = clap_request_get_image (request);
  g_assert_true (g_str_has_prefix (path, pasted_dir));
  g_assert_true (g_str_has_suffix (path, ".png"));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (strstr (gtk_label_get_label (_clap_input_zone_get_details_label (image)),
                            "640 × 360"));

  /* the first frame is taken: the next image goes to the last frame */
  gdk_clipboard_set_texture (clipboard, texture);
  g_assert_true (clap_composer_paste (fx->composer));
  WAIT_UNTIL (clap_request_get_image_tail (request) != NULL);
  g_assert_true (g_str_has_prefix (clap_request_get_image_tail (request), pasted_dir));
  g_assert_cmpstr (clap_request_get_image_tail (request), !=, clap_request_get_image (request));

  /* a web address */
  clap_input_zone_clear (image);
  gdk_clipboard_set_text (clipboard, "https://example.com/first.jpg");
  g_assert_true (clap_composer_paste (fx->composer));
  WAIT_UNTIL (clap_request_get_image (request) != NULL);
  g_assert_cmpstr (clap_request_get_image (request), ==, "https://example.com/first.jpg");

  /* words */
  gdk_clipboard_set_text (clipboard, "a quiet harbour");
  g_assert_true (clap_composer_paste (fx->composer));
  WAIT_UNTIL (clap_request_get_prompt (request) != NULL);
  g_assert_cmpstr (clap_request_get_prompt (request), ==, "a quiet harbour");

  /* a video file, with motion control: to the motion zone */
  if (have_encoder)
    {
      g_autoptr(GFile) file = g_file_new_for_path (mp4_12s);

      select_model (fx, "kling-motion-control");
      gdk_clipboard_set (clipboard, G_TYPE_FILE, file);
      g_assert_true (clap_composer_paste (fx->composer));
      WAIT_UNTIL (clap_request_get_motion_video (request) != NULL);
      g_assert_cmpstr (clap_request_get_motion_video (request), ==, mp4_12s);
    }

  /* nothing usable */
  gdk_clipboard_set_content (clipboard, NULL);
  g_assert_false (clap_composer_paste (fx->composer));
}

/* Reuse Settings: prompt, options and inputs come back. */
static void
test_load_request (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(ClapRequest) saved = clap_request_new ("kling-v3");
  ClapRequest *request = request_of (fx);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (_clap_composer_get_prompt_view (fx->composer));
  ClapInputZone *image = _clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE);
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autofree char *want = NULL;

  clap_request_set_prompt (saved, "Rain on a tin roof");
  clap_request_set_negative_prompt (saved, "people");
  clap_request_set_mode (saved, "pro");
  clap_request_set_duration (saved, 8);
  clap_request_set_aspect_ratio (saved, "9:16");
  clap_request_set_sound (saved, TRUE);
  clap_request_set_image (saved, png_frame);
  clap_request_set_image_tail (saved, "https://example.com/last.png");

  clap_composer_load_request (fx->composer, saved);
  WAIT_UNTIL (!clap_input_zone_get_busy (image));

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "Rain on a tin roof");
  g_assert_cmpstr (clap_request_get_model (request), ==, "kling-v3");
  g_assert_cmpstr (clap_request_get_negative_prompt (request), ==, "people");
  g_assert_true (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (_clap_composer_get_negative_row (fx->composer))));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (_clap_composer_get_option_row (fx->composer, CLAP_OPTION_MODE))), ==, 1);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (_clap_composer_get_option_row (fx->composer, CLAP_OPTION_DURATION))), ==,
                    duration_index (clap_catalog_find_model ("kling-v3"), 8));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (_clap_composer_get_option_row (fx->composer, CLAP_OPTION_ASPECT_RATIO))), ==, 1);
  g_assert_true (gtk_switch_get_active (switch_of (fx, CLAP_OPTION_SOUND)));
  g_assert_cmpstr (clap_request_get_image (request), ==, png_frame);
  g_assert_cmpstr (gtk_label_get_label (_clap_input_zone_get_name_label (image)), ==, "frame.png");
  g_assert_cmpstr (clap_request_get_image_tail (request), ==, "https://example.com/last.png");
  want = expected_price ("kling-v3", "pro", NULL, TRUE, FALSE, 8, 1);
  g_assert_cmpstr (price_text (fx), ==, want);
  g_assert_true (generate_enabled (fx));

  /* voices */
  {
    g_autoptr(ClapRequest) voiced = clap_request_new ("kling-v2-6");
    const char *voices[] = { "narrator_01", NULL };

    clap_request_set_prompt (voiced, "<<<voice_1>>> says: good evening");
    clap_request_set_mode (voiced, "pro");
    clap_request_set_sound (voiced, TRUE);
    clap_request_set_voices (voiced, voices);
    clap_composer_load_request (fx->composer, voiced);

    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (_clap_composer_get_voice_row (fx->composer, 0))),
                     ==, "narrator_01");
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (_clap_composer_get_voice_row (fx->composer, 1))),
                     ==, "");
    g_assert_null (clap_request_get_image (request));
    g_clear_pointer (&want, g_free);
    want = expected_price ("kling-v2-6", "pro", NULL, TRUE, TRUE, 5, 1);
    g_assert_cmpstr (price_text (fx), ==, want);
  }

  /* motion control, with its video */
  if (have_encoder)
    {
      g_autoptr(ClapRequest) motion = clap_request_new ("kling-motion-control");
      ClapInputZone *video = _clap_composer_get_zone (fx->composer, CLAP_OPTION_MOTION_VIDEO);

      clap_request_set_image (motion, png_second);
      clap_request_set_motion_video (motion, mp4_12s);
      clap_request_set_motion_seconds (motion, 12.0);
      clap_request_set_version (motion, "3.0");
      clap_request_set_mode (motion, "pro");
      clap_request_set_keep_original_sound (motion, FALSE);
      clap_composer_load_request (fx->composer, motion);
      WAIT_UNTIL (!clap_input_zone_get_busy (video) && !clap_input_zone_get_busy (image));

      g_assert_cmpstr (clap_request_get_motion_video (request), ==, mp4_12s);
      g_assert_cmpfloat_with_epsilon (clap_request_get_motion_seconds (request), 12.0, 0.01);
      g_assert_false (gtk_switch_get_active (switch_of (fx, CLAP_OPTION_KEEP_ORIGINAL_SOUND)));
      g_clear_pointer (&want, g_free);
      want = expected_price ("kling-motion-control", "pro", "3.0", FALSE, FALSE, 12, 1);
      g_assert_cmpstr (price_text (fx), ==, want);
      g_assert_true (generate_enabled (fx));
    }

  /* a file that has gone since is refused on the way back in */
  {
    g_autoptr(ClapRequest) gone = clap_request_new ("kling-v2-6");
    g_autofree char *missing = g_build_filename (fixtures, "gone.png", NULL);

    clap_request_set_prompt (gone, "Gone");
    clap_request_set_image (gone, missing);
    clap_composer_load_request (fx->composer, gone);
    WAIT_UNTIL (!clap_input_zone_get_busy (image));
    g_assert_nonnull (strstr (clap_input_zone_get_error (image), "does not exist any more"));
    g_assert_cmpstr (clap_request_get_image (request), ==, png_second);
  }
}

/* The counter: characters used of 2500, in the error colour over it. */
static void
test_counter (Fixture       *fx,
              gconstpointer  data)
{
  GtkLabel *counter = _clap_composer_get_counter_label (fx->composer);
  g_autofree char *long_prompt = g_strnfill (2501, 'x');

  g_assert_cmpstr (gtk_label_get_label (counter), ==, "0 / 2500");
  set_prompt (fx, "Hello");
  g_assert_cmpstr (gtk_label_get_label (counter), ==, "5 / 2500");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (counter), "error"));

  /* characters, not bytes */
  set_prompt (fx, "雨の街");
  g_assert_cmpstr (gtk_label_get_label (counter), ==, "3 / 2500");

  set_prompt (fx, long_prompt);
  g_assert_cmpstr (gtk_label_get_label (counter), ==, "2501 / 2500");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (counter), "error"));

  set_prompt (fx, "");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (counter), "error"));

  /* the request's prompt, set from outside, shows in the editor */
  clap_request_set_prompt (request_of (fx), "From elsewhere");
  g_assert_cmpstr (gtk_label_get_label (counter), ==, "14 / 2500");
}

/* Switching model keeps what still applies. */
static void
test_switch_model (Fixture       *fx,
                   gconstpointer  data)
{
  ClapRequest *request = request_of (fx);

  select_model (fx, "kling-v3");
  set_prompt (fx, "A harbour at night");
  select_duration (fx, 8);
  select_choice (fx, CLAP_OPTION_ASPECT_RATIO, "1:1");
  select_choice (fx, CLAP_OPTION_MODE, "std");
  gtk_switch_set_active (switch_of (fx, CLAP_OPTION_SOUND), TRUE);
  clap_request_set_image (request, "https://example.com/first.png");

  /* v2-6 makes 5 or 10 s: 8 becomes 10; audio in std is not sold there */
  select_model (fx, "kling-v2-6");
  g_assert_cmpuint (clap_request_get_duration (request), ==, 10);
  g_assert_cmpstr (clap_request_get_aspect_ratio (request), ==, "1:1");
  g_assert_cmpstr (clap_request_get_prompt (request), ==, "A harbour at night");
  g_assert_cmpstr (clap_request_get_image (request), ==, "https://example.com/first.png");
  g_assert_false (clap_request_get_sound (request));
  g_assert_true (generate_enabled (fx));

  /* motion control: the first frame becomes the character image */
  select_choice (fx, CLAP_OPTION_MODE, "pro");
  select_model (fx, "kling-motion-control");
  g_assert_cmpstr (clap_request_get_mode (request), ==, "pro");
  g_assert_cmpstr (clap_request_get_image (request), ==, "https://example.com/first.png");
  g_assert_cmpstr (clap_input_zone_get_title (_clap_composer_get_zone (fx->composer, CLAP_OPTION_IMAGE)),
                   ==, "Character image");

  /* and back */
  select_model (fx, "kling-v3");
  g_assert_cmpuint (clap_request_get_duration (request), ==, 10);
  g_assert_cmpstr (clap_request_get_aspect_ratio (request), ==, "1:1");
}

/* Voices: only with audio; the token goes into the prompt at the cursor and
 * brings the with-voice price. */
static void
test_voices (Fixture       *fx,
             gconstpointer  data)
{
  ClapRequest *request = request_of (fx);
  GtkWidget *voice;
  g_autofree char *want = NULL;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (_clap_composer_get_prompt_view (fx->composer));
  GtkTextIter iter;

  select_model (fx, "kling-v2-6");
  voice = _clap_composer_get_voice_row (fx->composer, 0);
  g_assert_nonnull (voice);
  g_assert_false (gtk_widget_get_visible (voice));

  select_choice (fx, CLAP_OPTION_MODE, "pro");
  gtk_switch_set_active (switch_of (fx, CLAP_OPTION_SOUND), TRUE);
  voice = _clap_composer_get_voice_row (fx->composer, 0);
  g_assert_true (gtk_widget_get_visible (voice));

  set_prompt (fx, "An old man says: welcome home");
  gtk_editable_set_text (GTK_EDITABLE (voice), "old_man_2");
  g_assert_cmpstr (clap_request_get_voices (request)[0], ==, "old_man_2");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (_clap_composer_get_option_row (fx->composer, CLAP_OPTION_SOUND))),
                   ==, "Put <<<voice_1>>> in the prompt where the voice speaks, or it is not used");
  want = expected_price ("kling-v2-6", "pro", NULL, TRUE, FALSE, 5, 1);
  g_assert_cmpstr (price_text (fx), ==, want);

  /* after "An old man" */
  gtk_text_buffer_get_iter_at_offset (buffer, &iter, strlen ("An old man"));
  gtk_text_buffer_place_cursor (buffer, &iter);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->composer), "composer.insert-voice",
                                             "u", 1));
  g_assert_cmpstr (clap_request_get_prompt (request), ==,
                   "An old man <<<voice_1>>> says: welcome home");
  g_clear_pointer (&want, g_free);
  want = expected_price ("kling-v2-6", "pro", NULL, TRUE, TRUE, 5, 1);
  g_assert_cmpstr (price_text (fx), ==, want);

  /* audio off: no voices sent, the id kept for later */
  gtk_switch_set_active (switch_of (fx, CLAP_OPTION_SOUND), FALSE);
  g_assert_null (clap_request_get_voices (request));
  g_assert_false (gtk_widget_get_visible (voice));
  gtk_switch_set_active (switch_of (fx, CLAP_OPTION_SOUND), TRUE);
  g_assert_cmpstr (clap_request_get_voices (request)[0], ==, "old_man_2");

  /* a bad id is explained */
  gtk_editable_set_text (GTK_EDITABLE (voice), "old man");
  assert_refused_with (fx, "“old man” is not a voice id; ids are made of letters, digits, “_”, "
                           "“-” and “.”.");
}

/* The model, options and takes are remembered; prompt and files are not. */
static void
test_settings (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *saved = NULL;
  ClapComposer *other;
  ClapRequest *request;

  g_settings_reset (settings, "composer-settings");
  clap_composer_set_settings (fx->composer, settings);
  select_model (fx, "kling-v3");
  select_choice (fx, CLAP_OPTION_MODE, "pro");
  select_duration (fx, 12);
  select_choice (fx, CLAP_OPTION_ASPECT_RATIO, "9:16");
  set_takes (fx, 2);
  set_prompt (fx, "A private prompt");
  clap_request_set_image (request_of (fx), "https://example.com/private.png");

  saved = g_settings_get_string (settings, "composer-settings");
  g_assert_nonnull (strstr (saved, "\"kling-v3\""));
  g_assert_nonnull (strstr (saved, "\"takes\":2"));
  g_assert_null (strstr (saved, "private"));
  g_assert_null (strstr (saved, "prompt"));

  other = g_object_ref_sink (clap_composer_new ());
  clap_composer_set_settings (other, settings);
  request = clap_composer_get_request (other);
  g_assert_cmpstr (clap_request_get_model (request), ==, "kling-v3");
  g_assert_cmpstr (clap_request_get_mode (request), ==, "pro");
  g_assert_cmpuint (clap_request_get_duration (request), ==, 12);
  g_assert_cmpstr (clap_request_get_aspect_ratio (request), ==, "9:16");
  g_assert_null (clap_request_get_prompt (request));
  g_assert_null (clap_request_get_image (request));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (_clap_composer_get_takes_spin (other)), ==, 2);
  g_assert_finalize_object (other);

  /* unreadable settings are ignored */
  g_settings_set_string (settings, "composer-settings", "{not json");
  other = g_object_ref_sink (clap_composer_new ());
  clap_composer_set_settings (other, settings);
  g_assert_cmpstr (clap_request_get_model (clap_composer_get_request (other)), ==, "kling-v2-6");
  g_assert_finalize_object (other);

  clap_composer_set_settings (fx->composer, NULL);
}

int
main (int argc, char *argv[])
{
  g_autofree char *cache = g_dir_make_tmp ("clap-composer-cache-XXXXXX", NULL);
  int status;

  /* pasted images go to the cache: a private one */
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  adw_init ();
  clap_register_resource ();
  make_fixtures ();

#define ADD(path, func) g_test_add ("/ui/composer/" path, Fixture, NULL, setup, func, teardown)
  ADD ("rows-follow-catalogue", test_rows_follow_catalogue);
  ADD ("price-follows-options", test_price_follows_options);
  ADD ("generate-validation", test_generate_validation);
  ADD ("drop-image", test_drop_image);
  ADD ("refusals", test_refusals);
  ADD ("motion-video", test_motion_video);
  ADD ("dispose-while-busy", test_dispose_while_busy);
  ADD ("drop-on-composer", test_drop_on_composer);
#if !GTK_CHECK_VERSION (4, 10, 0)
  ADD ("file-chooser", test_file_chooser);
#endif
  ADD ("paste", test_paste);
  ADD ("load-request", test_load_request);
  ADD ("counter", test_counter);
  ADD ("switch-model", test_switch_model);
  ADD ("voices", test_voices);
  ADD ("settings", test_settings);

  status = g_test_run ();
  clap_test_rm_rf (fixtures);
  clap_test_rm_rf (cache);
  return status;
}
