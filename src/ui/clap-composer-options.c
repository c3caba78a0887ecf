/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-composer"

#include "config.h"

#include <glib/gi18n.h>

#include "clap-composer-private.h"

/* The options group of the composer is made from the catalogue: for the
 * chosen model, one row per option it takes, in the catalogue's order, with
 * the catalogue's labels and choices. A new model or option in the catalogue
 * needs no change here. Rows write the request; the request's notifications
 * bring every row back in line (under "syncing", so nothing is written back).
 */

#define SPEC_KEY "clap-option-spec"
#define DURATIONS_KEY "clap-durations"

/* Characters of a choice that still fit beside its title at 340 px. */
#define LONG_CHOICE 16

static const char *
tr (const char *msgid)
{
  return g_dgettext (GETTEXT_PACKAGE, msgid);
}

static gboolean
model_has_voices (const ClapModelSpec *model)
{
  return clap_model_has_option (model, CLAP_OPTION_VOICES) && model->max_voices > 0;
}

/* The voice ids typed, in order; NULL when none. */
static GStrv
collect_voices (ClapComposer *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 0;

  for (guint i = 0; i < self->voice_rows->len; i++)
    {
      const char *text = gtk_editable_get_text (g_ptr_array_index (self->voice_rows, i));
      g_autofree char *id = g_strstrip (g_strdup (text));

      if (*id != '\0')
        {
          g_strv_builder_add (builder, id);
          n++;
        }
    }

  return n > 0 ? g_strv_builder_end (builder) : NULL;
}

/* Voices only exist with audio: with audio off the request carries none, and
 * the rows keep what was typed for when it comes back on. */
static void
apply_voices (ClapComposer *self)
{
  const ClapModelSpec *model = clap_request_get_model_spec (self->request);
  g_auto(GStrv) voices = NULL;

  if (model == NULL || !model_has_voices (model) || self->voice_rows->len == 0)
    return;

  if (clap_request_get_sound (self->request))
    voices = collect_voices (self);

  clap_request_set_voices (self->request, (const char * const *) voices);
}

/* Sets one option of the request as a row chose it, then the rules that tie
 * options together. */
void
_clap_composer_set_option (ClapComposer *self,
                           ClapOption    option,
                           const char   *value)
{
  const char *name = clap_option_get_name (option);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (self->request), name);
  const ClapModelSpec *model;

  g_return_if_fail (pspec != NULL);

  if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_BOOLEAN)
    g_object_set (self->request, name, g_strcmp0 (value, "on") == 0, NULL);
  else if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_UINT)
    g_object_set (self->request, name, (guint) g_ascii_strtoull (value, NULL, 10), NULL);
  else
    g_object_set (self->request, name, value, NULL);

  model = clap_request_get_model_spec (self->request);
  if (model == NULL)
    return;

  /* Audio is not sold in the standard mode of some models: leaving the
   * Professional mode turns it off, and the Audio row says why. */
  if (option == CLAP_OPTION_MODE &&
      (model->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0 &&
      g_strcmp0 (value, "pro") != 0)
    clap_request_set_sound (self->request, FALSE);

  if (option == CLAP_OPTION_MODE || option == CLAP_OPTION_SOUND)
    apply_voices (self);
}

/* Inserts <<<voice_N>>> at the prompt's cursor: the with-voice price and the
 * voice itself apply only where the prompt calls it. */
void
_clap_composer_insert_voice (ClapComposer *self,
                             guint         number)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
  g_autofree char *token = g_strdup_printf ("<<<voice_%u>>>", number);
  GtkTextIter cursor, before;
  gboolean need_space;

  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  before = cursor;
  need_space = gtk_text_iter_backward_char (&before) &&
               !g_unichar_isspace (gtk_text_iter_get_char (&before));

  gtk_text_buffer_begin_user_action (buffer);
  if (need_space)
    gtk_text_buffer_insert_at_cursor (buffer, " ", 1);
  gtk_text_buffer_insert_at_cursor (buffer, token, -1);
  gtk_text_buffer_end_user_action (buffer);

  gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
}

/* Rows --------------------------------------------------------------------- */

static void
on_choice_selected (AdwComboRow  *row,
                    GParamSpec   *pspec,
                    ClapComposer *self)
{
  const ClapOptionSpec *spec = g_object_get_data (G_OBJECT (row), SPEC_KEY);
  guint selected = adw_combo_row_get_selected (row);

  if (self->syncing || selected == GTK_INVALID_LIST_POSITION)
    return;

  _clap_composer_set_option (self, spec->option, spec->choices[selected].value);
}

static void
on_duration_selected (AdwComboRow  *row,
                      GParamSpec   *pspec,
                      ClapComposer *self)
{
  GArray *durations = g_object_get_data (G_OBJECT (row), DURATIONS_KEY);
  guint selected = adw_combo_row_get_selected (row);
  g_autofree char *value = NULL;

  if (self->syncing || selected == GTK_INVALID_LIST_POSITION || selected >= durations->len)
    return;

  value = g_strdup_printf ("%u", g_array_index (durations, guint, selected));
  _clap_composer_set_option (self, CLAP_OPTION_DURATION, value);
}

static void
on_switch_active (GtkSwitch    *sw,
                  GParamSpec   *pspec,
                  ClapComposer *self)
{
  const ClapOptionSpec *spec = g_object_get_data (G_OBJECT (sw), SPEC_KEY);

  if (!self->syncing)
    _clap_composer_set_option (self, spec->option, gtk_switch_get_active (sw) ? "on" : "off");
}

static void
on_voice_changed (GtkEditable  *editable,
                  ClapComposer *self)
{
  if (!self->syncing)
    apply_voices (self);
}

static void
init_row (GtkWidget            *row,
          const ClapOptionSpec *spec)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), tr (spec->label));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  g_object_set_data (G_OBJECT (row), SPEC_KEY, (gpointer) spec);
}

static GtkWidget *
make_choice_row (ClapComposer         *self,
                 const ClapOptionSpec *spec)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  GtkWidget *row = adw_combo_row_new ();

  for (const ClapChoice *choice = spec->choices; choice->value != NULL; choice++)
    gtk_string_list_append (labels, tr (choice->label));

  init_row (row, spec);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (labels));

  /* A long choice ("Follow the video (up to 30 s)") would be cut short at
   * the end of the row: it goes under the title instead. */
  for (const ClapChoice *choice = spec->choices; choice->value != NULL; choice++)
    if (g_utf8_strlen (tr (choice->label), -1) > LONG_CHOICE)
      adw_combo_row_set_use_subtitle (ADW_COMBO_ROW (row), TRUE);

  g_signal_connect (row, "notify::selected", G_CALLBACK (on_choice_selected), self);
  return row;
}

static GtkWidget *
make_switch_row (ClapComposer         *self,
                 const ClapOptionSpec *spec)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();

  init_row (row, spec);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (sw),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tr (spec->label),
                                  -1);
  g_object_set_data (G_OBJECT (sw), SPEC_KEY, (gpointer) spec);
  g_signal_connect (sw, "notify::active", G_CALLBACK (on_switch_active), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  g_object_set_data (G_OBJECT (row), "clap-switch", sw);
  return row;
}

static GtkWidget *
make_duration_row (ClapComposer         *self,
                   const ClapModelSpec  *model,
                   const ClapOptionSpec *spec)
{
  g_autoptr(GtkStringList) labels = NULL;
  GArray *durations;
  GtkWidget *row;

  /* Motion control makes a clip as long as its motion video: nothing to
   * choose, but the length that is billed is worth seeing. */
  if ((model->flags & CLAP_MODEL_DURATION_IS_VIDEO) != 0)
    {
      GtkWidget *value = gtk_label_new (NULL);

      row = adw_action_row_new ();
      init_row (row, spec);
      gtk_widget_add_css_class (value, "numeric");
      gtk_widget_add_css_class (value, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
      g_object_set_data (G_OBJECT (row), "clap-value", value);
      return row;
    }

  durations = g_array_new (FALSE, FALSE, sizeof (guint));
  if (model->durations != NULL)
    for (const guint *d = model->durations; *d != 0; d++)
      g_array_append_val (durations, *d);
  else
    for (guint d = model->min_duration; d <= model->max_duration; d++)
      g_array_append_val (durations, d);

  labels = gtk_string_list_new (NULL);
  for (guint i = 0; i < durations->len; i++)
    {
      /* Translators: a clip's length in seconds */
      g_autofree char *label = g_strdup_printf (_("%u s"), g_array_index (durations, guint, i));
      gtk_string_list_append (labels, label);
    }

  row = adw_combo_row_new ();
  init_row (row, spec);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (labels));
  g_object_set_data_full (G_OBJECT (row), DURATIONS_KEY, durations, (GDestroyNotify) g_array_unref);
  g_signal_connect (row, "notify::selected", G_CALLBACK (on_duration_selected), self);
  return row;
}

static GtkWidget *
make_voice_row (ClapComposer *self,
                guint         number)
{
  GtkWidget *row = adw_entry_row_new ();
  GtkWidget *insert = gtk_button_new_with_mnemonic (_("_Insert"));
  /* Translators: the title of an entry for a voice id; %u is 1 or 2 */
  g_autofree char *title = g_strdup_printf (_("Voice %u ID"), number);
  /* Translators: <<<voice_%u>>> is written as is in the prompt */
  g_autofree char *tooltip = g_strdup_printf (_("Insert <<<voice_%u>>> in the prompt at the cursor"),
                                              number);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  -1);

  gtk_widget_set_valign (insert, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (insert, tooltip);
  gtk_widget_add_css_class (insert, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (insert),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (insert), "composer.insert-voice");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (insert), "u", number);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), insert);

  g_signal_connect (row, "changed", G_CALLBACK (on_voice_changed), self);
  return row;
}

static void
add_row (ClapComposer *self,
         GtkWidget    *row)
{
  adw_preferences_group_add (self->options_group, row);
  g_ptr_array_add (self->rows, row);
}

static void
remove_rows (ClapComposer *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->options_group, g_ptr_array_index (self->rows, i));

  g_ptr_array_set_size (self->rows, 0);
  g_ptr_array_set_size (self->voice_rows, 0);
  memset (self->option_rows, 0, sizeof self->option_rows);
}

/* The zones, the negative prompt and the placeholder also follow the model. */
static void
show_model_parts (ClapComposer        *self,
                  const ClapModelSpec *model)
{
  static const ClapOption slots[] = {
    CLAP_OPTION_IMAGE, CLAP_OPTION_IMAGE_TAIL, CLAP_OPTION_MOTION_VIDEO,
  };
  gboolean any_zone = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      ClapInputZone *zone = _clap_composer_get_zone (self, slots[i]);
      const ClapOptionSpec *spec = clap_model_get_option (model, slots[i]);
      gboolean required = (slots[i] == CLAP_OPTION_IMAGE &&
                           (model->flags & CLAP_MODEL_NEEDS_IMAGE) != 0) ||
                          (slots[i] == CLAP_OPTION_MOTION_VIDEO &&
                           (model->flags & CLAP_MODEL_NEEDS_MOTION) != 0);

      gtk_widget_set_visible (GTK_WIDGET (zone), spec != NULL);
      if (spec == NULL)
        continue;

      any_zone = TRUE;
      clap_input_zone_set_title (zone, tr (spec->label));
      clap_input_zone_set_hint (zone, required ? NULL : _("Optional"));
    }
  gtk_widget_set_visible (self->inputs_group, any_zone);

  gtk_widget_set_visible (self->negative_list,
                          clap_model_has_option (model, CLAP_OPTION_NEGATIVE_PROMPT));
  gtk_label_set_label (self->prompt_placeholder,
                       (model->flags & CLAP_MODEL_PROMPT_REQUIRED) != 0
                       ? _("Describe the clip: who is in it, what happens, the camera, the light…")
                       : _("Optional: the scene, the look of the character, the mood…"));

  for (guint i = 0; i < clap_catalog_get_n_models (); i++)
    if (clap_catalog_get_model (i) == model)
      adw_combo_row_set_selected (self->model_row, i);
  gtk_label_set_label (self->model_description, tr (model->description));
}

/* Makes the rows of @model, in the catalogue's order. */
static void
build_rows (ClapComposer        *self,
            const ClapModelSpec *model)
{
  remove_rows (self);

  for (const ClapOptionSpec *spec = model->options; spec->wire_name != NULL; spec++)
    {
      GtkWidget *row = NULL;

      switch (spec->option)
        {
        case CLAP_OPTION_PROMPT:
        case CLAP_OPTION_NEGATIVE_PROMPT:
        case CLAP_OPTION_IMAGE:
        case CLAP_OPTION_IMAGE_TAIL:
        case CLAP_OPTION_MOTION_VIDEO:
          /* The editors and the zones above the options. */
          break;

        case CLAP_OPTION_CALLBACK_URL:
          /* Set once for all takes, in Preferences. */
          break;

        case CLAP_OPTION_DURATION:
          row = make_duration_row (self, model, spec);
          break;

        case CLAP_OPTION_VOICES:
          for (guint i = 0; i < model->max_voices; i++)
            {
              GtkWidget *voice = make_voice_row (self, i + 1);

              g_ptr_array_add (self->voice_rows, voice);
              add_row (self, voice);
            }
          break;

        case CLAP_OPTION_MODE:
        case CLAP_OPTION_ASPECT_RATIO:
        case CLAP_OPTION_SOUND:
        case CLAP_OPTION_CHARACTER_ORIENTATION:
        case CLAP_OPTION_KEEP_ORIGINAL_SOUND:
        case CLAP_OPTION_VERSION:
        case CLAP_N_OPTIONS:
        default:
          if (spec->wire_kind == CLAP_WIRE_SWITCH)
            row = make_switch_row (self, spec);
          else if (spec->choices != NULL)
            row = make_choice_row (self, spec);
          break;
        }

      if (row != NULL)
        {
          self->option_rows[spec->option] = row;
          add_row (self, row);
        }
    }

  gtk_widget_set_visible (GTK_WIDGET (self->options_group), self->rows->len > 0);
  show_model_parts (self, model);
  self->shown_model = model;
}

/* Syncing the rows with the request ---------------------------------------- */

static char *
sound_subtitle (ClapComposer        *self,
                const ClapModelSpec *model)
{
  gboolean sound = clap_request_get_sound (self->request);

  if ((model->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0 &&
      g_strcmp0 (clap_request_get_mode (self->request), "pro") != 0)
    return g_strdup (_("Needs the Professional mode"));

  if (!model_has_voices (model) || !sound)
    return NULL;

  if (clap_request_get_voices (self->request) == NULL)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Add a voice id below to choose who speaks",
                                         "Add up to %u voice ids below to choose who speaks",
                                         model->max_voices),
                            model->max_voices);

  if (!clap_request_uses_voice (self->request))
    return g_strdup (_("Put <<<voice_1>>> in the prompt where the voice speaks, or it is "
                       "not used"));

  return g_strdup (_("The prompt calls a voice: the with-voice price applies"));
}

static void
sync_choice_row (ClapComposer         *self,
                 GtkWidget            *row,
                 const ClapOptionSpec *spec)
{
  g_autofree char *value = NULL;
  guint selected = GTK_INVALID_LIST_POSITION;
  guint i = 0;

  g_object_get (self->request, clap_option_get_name (spec->option), &value, NULL);
  for (const ClapChoice *choice = spec->choices; choice->value != NULL; choice++, i++)
    if (g_strcmp0 (choice->value, value) == 0)
      selected = i;

  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);
}

static void
sync_switch_row (ClapComposer         *self,
                 const ClapModelSpec  *model,
                 GtkWidget            *row,
                 const ClapOptionSpec *spec)
{
  GtkSwitch *sw = g_object_get_data (G_OBJECT (row), "clap-switch");
  gboolean active = FALSE;

  g_object_get (self->request, clap_option_get_name (spec->option), &active, NULL);
  gtk_switch_set_active (sw, active);

  if (spec->option == CLAP_OPTION_SOUND)
    {
      g_autofree char *subtitle = sound_subtitle (self, model);
      gboolean needs_pro = (model->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0 &&
                           g_strcmp0 (clap_request_get_mode (self->request), "pro") != 0;

      /* Cannot be turned on in the standard mode; can always be turned off,
       * should a saved request have it on. */
      gtk_widget_set_sensitive (GTK_WIDGET (sw), !needs_pro || active);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle ? subtitle : "");
      gtk_accessible_update_property (GTK_ACCESSIBLE (sw),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      subtitle ? subtitle : "",
                                      -1);
    }
}

static void
sync_duration_row (ClapComposer        *self,
                   const ClapModelSpec *model,
                   GtkWidget           *row)
{
  GArray *durations = g_object_get_data (G_OBJECT (row), DURATIONS_KEY);
  guint duration = clap_request_get_duration (self->request);
  guint selected = GTK_INVALID_LIST_POSITION;

  if ((model->flags & CLAP_MODEL_DURATION_IS_VIDEO) != 0)
    {
      GtkLabel *value = g_object_get_data (G_OBJECT (row), "clap-value");
      double seconds = clap_request_get_motion_seconds (self->request);
      guint billed = clap_request_get_effective_duration (self->request);
      g_autofree char *text = NULL;
      g_autofree char *subtitle = NULL;

      if (seconds > 0.0)
        {
          /* Translators: the motion video's length */
          text = g_strdup_printf (_("%.1f s"), seconds);
          if ((double) billed != seconds)
            subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                     "Follows the motion video · billed as %u second",
                                                     "Follows the motion video · billed as %u seconds",
                                                     billed),
                                        billed);
        }
      gtk_label_set_label (value, text ? text : "—");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   subtitle ? subtitle : _("Follows the motion video"));
      return;
    }

  for (guint i = 0; i < durations->len; i++)
    if (g_array_index (durations, guint, i) == duration)
      selected = i;
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);
}

static void
sync_voice_rows (ClapComposer *self)
{
  const char * const *voices = clap_request_get_voices (self->request);
  gboolean sound = clap_request_get_sound (self->request);

  for (guint i = 0; i < self->voice_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->voice_rows, i);

      gtk_widget_set_visible (row, sound);

      /* With audio off the request has no voices but the rows keep theirs. */
      if (voices != NULL)
        {
          const char *id = i < g_strv_length ((char **) voices) ? voices[i] : "";

          if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (row)), id) != 0)
            gtk_editable_set_text (GTK_EDITABLE (row), id);
        }
    }
}

/* Brings every row in line with the request; rebuilds them when the model
 * changed. */
void
_clap_composer_sync_options (ClapComposer *self)
{
  const ClapModelSpec *model = clap_request_get_model_spec (self->request);
  gboolean was_syncing = self->syncing;

  if (model == NULL)
    return;

  self->syncing = TRUE;

  if (model != self->shown_model)
    build_rows (self, model);

  for (const ClapOptionSpec *spec = model->options; spec->wire_name != NULL; spec++)
    {
      GtkWidget *row = self->option_rows[spec->option];

      if (row == NULL)
        continue;

      if (spec->option == CLAP_OPTION_DURATION)
        sync_duration_row (self, model, row);
      else if (spec->wire_kind == CLAP_WIRE_SWITCH)
        sync_switch_row (self, model, row, spec);
      else if (spec->choices != NULL)
        sync_choice_row (self, row, spec);
    }

  sync_voice_rows (self);

  self->syncing = was_syncing;
}

/* Forgets the voice ids typed: a loaded request brings its own. */
void
_clap_composer_clear_voices (ClapComposer *self)
{
  gboolean was_syncing = self->syncing;

  self->syncing = TRUE;
  for (guint i = 0; i < self->voice_rows->len; i++)
    gtk_editable_set_text (GTK_EDITABLE (g_ptr_array_index (self->voice_rows, i)), "");
  self->syncing = was_syncing;
}

void
_clap_composer_options_dispose (ClapComposer *self)
{
  if (self->rows != NULL)
    {
      g_ptr_array_set_size (self->rows, 0);
      g_ptr_array_set_size (self->voice_rows, 0);
    }
  memset (self->option_rows, 0, sizeof self->option_rows);
  self->shown_model = NULL;
}
