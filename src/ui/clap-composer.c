/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-composer"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "clap-composer-private.h"
#include "clap-input-zone-private.h"

/* The composer: the prompt, the model and the options it takes, the
 * reference inputs, the price and the Generate button. It edits one live
 * ClapRequest; every change of the request brings the widgets in line and
 * recomputes the price and whether the request may be sent, so what is shown
 * is always what would be sent and what it would cost.
 */

G_DEFINE_FINAL_TYPE (ClapComposer, clap_composer, GTK_TYPE_WIDGET)

enum {
  GENERATE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The properties saved as "composer-settings": the model and its options,
 * never the prompt or a file. */
static const char * const remembered[] = {
  "model", "mode", "duration", "aspect-ratio", "sound", "voices",
  "character-orientation", "keep-original-sound", "version",
};

/* The request properties that hold inputs, which the zones fill. */
static const ClapOption input_slots[] = {
  CLAP_OPTION_IMAGE, CLAP_OPTION_IMAGE_TAIL, CLAP_OPTION_MOTION_VIDEO,
};

ClapComposer *
clap_composer_new (void)
{
  return g_object_new (CLAP_TYPE_COMPOSER, NULL);
}

ClapInputZone *
_clap_composer_get_zone (ClapComposer *self,
                         ClapOption    slot)
{
  switch (slot)
    {
    case CLAP_OPTION_IMAGE:
      return self->image_zone;
    case CLAP_OPTION_IMAGE_TAIL:
      return self->tail_zone;
    case CLAP_OPTION_MOTION_VIDEO:
      return self->motion_zone;
    default:
      g_return_val_if_reached (NULL);
    }
}

static ClapOption
zone_slot (ClapComposer  *self,
           ClapInputZone *zone)
{
  if (zone == self->tail_zone)
    return CLAP_OPTION_IMAGE_TAIL;
  if (zone == self->motion_zone)
    return CLAP_OPTION_MOTION_VIDEO;
  return CLAP_OPTION_IMAGE;
}

static gboolean
any_zone_busy (ClapComposer *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
    {
      ClapInputZone *zone = _clap_composer_get_zone (self, input_slots[i]);

      if (gtk_widget_get_visible (GTK_WIDGET (zone)) && clap_input_zone_get_busy (zone))
        return TRUE;
    }
  return FALSE;
}

/* Settings ----------------------------------------------------------------- */

static void
save_settings (ClapComposer *self)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonObject) saved = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *current = NULL;
  JsonObject *all;

  if (self->settings == NULL || self->restoring)
    return;

  node = clap_request_save_settings (self->request);
  all = json_node_get_object (node);
  saved = json_object_new ();
  for (guint i = 0; i < G_N_ELEMENTS (remembered); i++)
    if (json_object_has_member (all, remembered[i]))
      json_object_set_member (saved, remembered[i],
                              json_node_copy (json_object_get_member (all, remembered[i])));
  json_object_set_int_member (saved, "takes", self->n_takes);

  root = json_node_init_object (json_node_alloc (), saved);
  text = json_to_string (root, FALSE);
  current = g_settings_get_string (self->settings, "composer-settings");
  if (g_strcmp0 (text, current) != 0)
    g_settings_set_string (self->settings, "composer-settings", text);
}

/* Takes the model and options last used; anything unreadable is ignored,
 * as it was only a convenience. */
static void
restore_settings (ClapComposer *self)
{
  g_autofree char *text = g_settings_get_string (self->settings, "composer-settings");
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(ClapRequest) saved = NULL;
  g_autoptr(JsonObject) remembered_options = json_object_new ();
  g_autoptr(JsonNode) options = NULL;
  JsonObject *object;
  JsonNode *root;
  gint64 takes;

  if (text == NULL || *text == '\0')
    return;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return;

  object = json_node_get_object (root);
  takes = json_object_get_int_member_with_default (object, "takes", 1);

  /* Only the remembered members reach the request. */
  for (guint i = 0; i < G_N_ELEMENTS (remembered); i++)
    if (json_object_has_member (object, remembered[i]))
      json_object_set_member (remembered_options, remembered[i],
                              json_node_copy (json_object_get_member (object, remembered[i])));
  options = json_node_init_object (json_node_alloc (), remembered_options);

  saved = clap_request_new_from_settings (options, NULL);
  if (saved == NULL || clap_request_get_model_spec (saved) == NULL)
    return;

  self->restoring = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (remembered); i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_object_get_property (G_OBJECT (saved), remembered[i], &value);
      g_object_set_property (G_OBJECT (self->request), remembered[i], &value);
    }
  gtk_spin_button_set_value (self->takes_spin, CLAMP (takes, 1, 4));
  self->restoring = FALSE;
}

/* The summary: price, Generate and why not -------------------------------- */

static gboolean
can_generate (ClapComposer  *self,
              GError       **error)
{
  if (any_zone_busy (self))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                           _("Wait until the file is checked."));
      return FALSE;
    }

  return clap_request_validate (self->request, error);
}

/* Why there is no price: the missing motion video, or the rule the options
 * break (the prompt does not matter to the price). */
static char *
no_price_reason (ClapComposer *self)
{
  const ClapModelSpec *model = clap_request_get_model_spec (self->request);
  g_autoptr(ClapRequest) probe = NULL;
  g_autoptr(GError) error = NULL;

  if (model == NULL)
    return g_strdup (_("Choose a model to see the price."));

  if ((model->flags & CLAP_MODEL_DURATION_IS_VIDEO) != 0)
    {
      if (clap_request_get_motion_video (self->request) == NULL)
        return g_strdup (_("Add a motion video to see the price."));
      if (clap_request_get_motion_seconds (self->request) <= 0.0)
        return g_strdup (_("Give the motion video’s length to see the price."));
    }

  probe = clap_request_copy (self->request);
  clap_request_set_prompt (probe, "-");
  if (!clap_request_validate (probe, &error))
    return g_strdup (error->message);

  return g_strdup (_("The provider sells no clip with these options."));
}

static gboolean
has_price (ClapComposer *self,
           ClapPrice    *price)
{
  const ClapModelSpec *model = clap_request_get_model_spec (self->request);

  /* The length of a video that is not there any more is no price. */
  if (model != NULL && (model->flags & CLAP_MODEL_DURATION_IS_VIDEO) != 0 &&
      clap_request_get_motion_video (self->request) == NULL)
    return FALSE;

  return clap_request_estimate (self->request, price);
}

static void
update_summary (ClapComposer *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *price_text = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *price_a11y = NULL;
  g_autofree char *button = NULL;
  gboolean valid = can_generate (self, &error);
  ClapPrice price = 0;
  gboolean priced = has_price (self, &price);

  if (priced)
    {
      g_autofree char *total = clap_price_format (price * self->n_takes);
      g_autofree char *each = clap_price_format (price);

      /* Translators: the estimated price, "≈ $0.0531"; the space is a
       * no-break space, so the sign never ends a line alone */
      price_text = g_strdup_printf (_("≈ %s"), total);
      if (self->n_takes == 1)
        detail = g_strdup (_("Estimated price of one take"));
      else
        /* Translators: "Estimate: 3 takes × $0.0531" */
        detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "Estimate: %u take × %s",
                                               "Estimate: %u takes × %s",
                                               self->n_takes),
                                  self->n_takes, each);
      price_a11y = g_strdup_printf (_("Estimated price: %s"), total);
    }
  else
    {
      price_text = g_strdup (_("No estimate yet"));
      detail = no_price_reason (self);
      price_a11y = g_strdup_printf (_("No price yet: %s"), detail);
    }

  gtk_label_set_label (self->price_label, price_text);
  if (priced)
    gtk_widget_remove_css_class (GTK_WIDGET (self->price_label), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->price_label), "dim-label");
  gtk_label_set_label (self->price_detail, detail);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->price_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, price_a11y,
                                  -1);

  if (self->n_takes == 1)
    button = g_strdup (_("_Generate"));
  else
    /* Translators: the Generate button when several takes are sent */
    button = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "_Generate %u Take",
                                           "_Generate %u Takes",
                                           self->n_takes),
                              self->n_takes);
  gtk_button_set_label (self->generate_button, button);
  /* GTK 4.8 names a button after its raw label, underscore included: say
   * the words shown instead. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->generate_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_label_get_text (GTK_LABEL (gtk_button_get_child (self->generate_button))),
                                  -1);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.generate", valid);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->generate_button),
                               valid ? _("Generate (Ctrl+Enter)") : error->message);
  gtk_label_set_label (self->reason_label, valid ? "" : error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->reason_label), !valid);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->generate_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  valid ? "" : error->message,
                                  -1);
}

/* Following the request ---------------------------------------------------- */

static char *
buffer_get_text (GtkTextBuffer *buffer)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void take_back_refused (ClapComposer  *self,
                               ClapInputZone *zone);

static void
sync_buffer (GtkTextView *view,
             const char  *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  g_autofree char *current = buffer_get_text (buffer);
  /* The buffer's first change writes the request, which frees @text. */
  g_autofree char *wanted = g_strdup (text ? text : "");

  if (!g_str_equal (current, wanted))
    gtk_text_buffer_set_text (buffer, wanted, -1);
}

/* An input set on the request from outside (a loaded request, a test)
 * goes through its zone's checks like a dropped file. */
static void
sync_zone (ClapComposer *self,
           ClapOption    slot)
{
  ClapInputZone *zone = _clap_composer_get_zone (self, slot);
  const char *value = clap_request_get_input (self->request, slot);

  if (g_strcmp0 (value, clap_input_zone_get_value (zone)) == 0)
    return;

  clap_input_zone_load_value (zone, value, clap_request_get_motion_seconds (self->request));

  /* A web address is refused at once, without a change of the zone's
   * error when it was refused before. */
  take_back_refused (self, zone);
}

static void
on_request_notify (ClapRequest  *request,
                   GParamSpec   *pspec,
                   ClapComposer *self)
{
  const char *name = pspec->name;

  if (g_str_equal (name, "prompt"))
    sync_buffer (self->prompt_view, clap_request_get_prompt (request));
  else if (g_str_equal (name, "negative-prompt"))
    sync_buffer (self->negative_view, clap_request_get_negative_prompt (request));
  else if (g_str_equal (name, "image"))
    sync_zone (self, CLAP_OPTION_IMAGE);
  else if (g_str_equal (name, "image-tail"))
    sync_zone (self, CLAP_OPTION_IMAGE_TAIL);
  else if (g_str_equal (name, "motion-video"))
    sync_zone (self, CLAP_OPTION_MOTION_VIDEO);
  else if (g_str_equal (name, "motion-seconds") &&
           clap_input_is_url (clap_input_zone_get_value (self->motion_zone)))
    /* Only the person knows a web video's length; a file's is its own. */
    clap_input_zone_set_duration (self->motion_zone, clap_request_get_motion_seconds (request));

  _clap_composer_sync_options (self);
  clap_input_zone_set_max_seconds (self->motion_zone,
                                   clap_request_get_max_motion_seconds (self->request));
  update_summary (self);

  for (guint i = 0; i < G_N_ELEMENTS (remembered); i++)
    if (g_str_equal (name, remembered[i]))
      save_settings (self);
}

/* The nearest length the model makes; the shorter one on a tie. */
static guint
nearest_duration (const ClapModelSpec *model,
                  guint                seconds)
{
  guint best = model->default_duration;
  guint best_distance = G_MAXUINT;

  if (model->durations == NULL)
    return CLAMP (seconds, model->min_duration, model->max_duration);

  for (const guint *d = model->durations; *d != 0; d++)
    {
      guint distance = *d > seconds ? *d - seconds : seconds - *d;

      if (distance < best_distance)
        {
          best = *d;
          best_distance = distance;
        }
    }

  return best;
}

/* A new model keeps the prompt, the inputs and every option that still
 * applies; the rest fall back to the model's defaults or nearest values. */
static void
switch_model (ClapComposer        *self,
              const ClapModelSpec *model)
{
  guint duration = clap_request_get_duration (self->request);

  g_object_freeze_notify (G_OBJECT (self->request));

  clap_request_set_model (self->request, model->id);

  if ((model->flags & CLAP_MODEL_DURATION_IS_VIDEO) == 0 &&
      !clap_model_allows_duration (model, duration))
    clap_request_set_duration (self->request, nearest_duration (model, duration));

  for (const ClapOptionSpec *spec = model->options; spec->wire_name != NULL; spec++)
    {
      g_autofree char *value = NULL;

      if (spec->choices == NULL || spec->wire_kind == CLAP_WIRE_SWITCH)
        continue;

      g_object_get (self->request, clap_option_get_name (spec->option), &value, NULL);
      if (clap_option_find_choice (spec, value) == NULL && spec->default_value != NULL)
        g_object_set (self->request, clap_option_get_name (spec->option), spec->default_value, NULL);
    }

  if ((model->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0 &&
      g_strcmp0 (clap_request_get_mode (self->request), "pro") != 0)
    clap_request_set_sound (self->request, FALSE);

  g_object_thaw_notify (G_OBJECT (self->request));
}

static void
on_model_selected (ClapComposer *self)
{
  guint selected = adw_combo_row_get_selected (self->model_row);

  if (self->syncing || selected >= clap_catalog_get_n_models ())
    return;

  switch_model (self, clap_catalog_get_model (selected));
}

/* Text --------------------------------------------------------------------- */

static void
update_counter (GtkLabel      *label,
                GtkTextBuffer *buffer)
{
  int n_chars = gtk_text_buffer_get_char_count (buffer);
  gboolean over = n_chars > CLAP_PROMPT_MAX_CHARS;
  g_autofree char *text = g_strdup_printf ("%d / %d", n_chars, CLAP_PROMPT_MAX_CHARS);
  /* Translators: read by a screen reader for the "123 / 2500" counter */
  g_autofree char *a11y = g_strdup_printf (_("%d of %d characters used"),
                                           n_chars, CLAP_PROMPT_MAX_CHARS);

  gtk_label_set_label (label, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, a11y,
                                  -1);
  if (over)
    {
      gtk_widget_add_css_class (GTK_WIDGET (label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
    }
}

static void
on_prompt_changed (GtkTextBuffer *buffer,
                   ClapComposer  *self)
{
  g_autofree char *text = buffer_get_text (buffer);

  update_counter (self->counter_label, buffer);
  gtk_widget_set_visible (GTK_WIDGET (self->prompt_placeholder), *text == '\0');
  clap_request_set_prompt (self->request, text);
}

static void
on_negative_changed (GtkTextBuffer *buffer,
                     ClapComposer  *self)
{
  g_autofree char *text = buffer_get_text (buffer);

  update_counter (self->negative_counter, buffer);
  clap_request_set_negative_prompt (self->request, text);
}

/* Inputs ------------------------------------------------------------------- */

static void
on_zone_value (ClapInputZone *zone,
               GParamSpec    *pspec,
               ClapComposer  *self)
{
  clap_request_set_input (self->request, zone_slot (self, zone), clap_input_zone_get_value (zone));
}

static void
on_zone_duration (ClapInputZone *zone,
                  GParamSpec    *pspec,
                  ClapComposer  *self)
{
  clap_request_set_motion_seconds (self->request, clap_input_zone_get_duration (zone));
}

/* A value the request was given from outside (a loaded request, a test)
 * that the zone refused: the request takes back what the zone holds. */
static void
take_back_refused (ClapComposer  *self,
                   ClapInputZone *zone)
{
  ClapOption slot = zone_slot (self, zone);

  if (clap_input_zone_get_busy (zone) || clap_input_zone_get_error (zone) == NULL ||
      g_strcmp0 (clap_request_get_input (self->request, slot),
                 clap_input_zone_get_value (zone)) == 0)
    return;

  clap_request_set_input (self->request, slot, clap_input_zone_get_value (zone));
  if (slot == CLAP_OPTION_MOTION_VIDEO)
    clap_request_set_motion_seconds (self->request, clap_input_zone_get_duration (zone));
}

static void
on_zone_state (ClapInputZone *zone,
               GParamSpec    *pspec,
               ClapComposer  *self)
{
  take_back_refused (self, zone);
  update_summary (self);
}

/* The zone that fits what is pasted: the focused one, else the first empty
 * one of the right kind, else the first of the right kind. */
static ClapInputZone *
pick_zone (ClapComposer  *self,
           ClapInputKind  kind)
{
  ClapInputZone *fallback = NULL;
  ClapInputZone *visible = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
    {
      ClapInputZone *zone = _clap_composer_get_zone (self, input_slots[i]);

      if (!gtk_widget_get_visible (GTK_WIDGET (zone)))
        continue;
      if (visible == NULL)
        visible = zone;
      if (clap_input_zone_get_kind (zone) != kind)
        continue;
      if (clap_input_zone_get_value (zone) == NULL)
        return zone;
      if (fallback == NULL)
        fallback = zone;
    }

  return fallback ? fallback : visible;
}

static ClapInputZone *
focused_zone (ClapComposer *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  if (focus == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
    {
      GtkWidget *zone = GTK_WIDGET (_clap_composer_get_zone (self, input_slots[i]));

      if (gtk_widget_get_visible (zone) && (focus == zone || gtk_widget_is_ancestor (focus, zone)))
        return CLAP_INPUT_ZONE (zone);
    }

  return NULL;
}

static ClapInputKind
guess_kind (const char *name)
{
  g_autofree char *type = g_content_type_guess (name, NULL, 0, NULL);
  g_autofree char *mime = g_content_type_get_mime_type (type);

  return mime != NULL && g_str_has_prefix (mime, "video/")
         ? CLAP_INPUT_KIND_VIDEO : CLAP_INPUT_KIND_IMAGE;
}

/* Files pasted or dropped outside a zone go to the zone that fits the
 * first of them. */
static gboolean
route_files (ClapComposer *self,
             const GValue *value)
{
  g_autofree char *name = NULL;
  ClapInputZone *zone;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

      if (files != NULL)
        name = g_file_get_basename (files->data);
      g_slist_free (files);
    }
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE) && g_value_get_object (value) != NULL)
    {
      name = g_file_get_basename (g_value_get_object (value));
    }

  if (name == NULL || (zone = pick_zone (self, guess_kind (name))) == NULL)
    return FALSE;

  return _clap_input_zone_load_gvalue (zone, value);
}

static void
paste_files_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ClapComposer) self = user_data;
  const GValue *value;

  value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, NULL);
  if (value != NULL && !g_cancellable_is_cancelled (self->cancellable))
    route_files (self, value);
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         ClapComposer  *self)
{
  return route_files (self, value);
}

static void
paste_text_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ClapComposer) self = user_data;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  ClapInputZone *zone;

  text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (text == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;

  line = g_strstrip (g_strdup (text));
  if (strchr (line, '\n') != NULL)
    *strchr (line, '\n') = '\0';
  g_strstrip (line);

  /* Plain words were meant for the prompt. */
  if (!clap_input_is_url (line) && !g_str_has_prefix (line, "file://") &&
      !g_path_is_absolute (line))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);

      gtk_text_buffer_insert_at_cursor (buffer, text, -1);
      gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
      return;
    }

  zone = pick_zone (self, guess_kind (line));
  if (zone != NULL)
    clap_input_zone_load_text (zone, line);
}

/* Public API --------------------------------------------------------------- */

/* The live request the composer edits. */
ClapRequest *
clap_composer_get_request (ClapComposer *self)
{
  g_return_val_if_fail (CLAP_IS_COMPOSER (self), NULL);
  return self->request;
}

/* "Reuse Settings": the prompt, options and inputs of @request come back
 * into the composer; local files are checked again, as they may have
 * changed or gone since. */
void
clap_composer_load_request (ClapComposer *self,
                            ClapRequest  *request)
{
  g_autoptr(ClapRequest) copy = NULL;
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs;

  g_return_if_fail (CLAP_IS_COMPOSER (self));
  g_return_if_fail (CLAP_IS_REQUEST (request));

  /* @request may be the live request itself. */
  copy = clap_request_copy (request);
  if (copy == NULL)
    return;

  _clap_composer_clear_voices (self);

  g_object_freeze_notify (G_OBJECT (self->request));
  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (copy), &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      /* Set once for every take, in Preferences. */
      if (g_str_equal (pspecs[i]->name, "callback-url") ||
          (pspecs[i]->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE)
        continue;

      g_object_get_property (G_OBJECT (copy), pspecs[i]->name, &value);
      g_object_set_property (G_OBJECT (self->request), pspecs[i]->name, &value);
    }
  g_object_thaw_notify (G_OBJECT (self->request));

  _clap_composer_sync_options (self);
  adw_expander_row_set_expanded (self->negative_row,
                                 clap_request_get_negative_prompt (copy) != NULL);
}

/* Remembers the model and options in @settings ("composer-settings") and
 * starts from the ones saved there. */
void
clap_composer_set_settings (ClapComposer *self,
                            GSettings    *settings)
{
  g_return_if_fail (CLAP_IS_COMPOSER (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (!g_set_object (&self->settings, settings) || settings == NULL)
    return;

  restore_settings (self);
}

/* Sends a copy of the request, if it is valid, with the number of takes. */
void
clap_composer_generate (ClapComposer *self)
{
  g_autoptr(ClapRequest) copy = NULL;
  g_autoptr(GError) error = NULL;
  const ClapModelSpec *model;

  g_return_if_fail (CLAP_IS_COMPOSER (self));

  if (!can_generate (self, &error))
    {
      /* Ctrl+Enter on a request that cannot go: the reason is already
       * shown under the button; a prompt to fix is where the cursor goes. */
      gtk_widget_error_bell (GTK_WIDGET (self));
      if (g_error_matches (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_MISSING_PROMPT) ||
          g_error_matches (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_PROMPT_TOO_LONG) ||
          g_error_matches (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_INVALID_TEXT))
        gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
      return;
    }

  copy = clap_request_copy (self->request);
  model = clap_request_get_model_spec (copy);

  /* What the model does not take stays in the composer, for when the person
   * switches back, but is not part of the take. */
  for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
    if (!clap_model_has_option (model, input_slots[i]))
      clap_request_set_input (copy, input_slots[i], NULL);
  if (!clap_model_has_option (model, CLAP_OPTION_MOTION_VIDEO))
    clap_request_set_motion_seconds (copy, 0.0);
  if (!clap_model_has_option (model, CLAP_OPTION_NEGATIVE_PROMPT))
    clap_request_set_negative_prompt (copy, NULL);
  if (!clap_model_has_option (model, CLAP_OPTION_VOICES) || !clap_request_get_sound (copy))
    clap_request_set_voices (copy, NULL);

  g_signal_emit (self, signals[GENERATE], 0, copy, self->n_takes);
}

/* Ctrl+V outside text fields: an image, a file or a web address from the
 * clipboard goes to the focused zone, else to the first zone that fits;
 * plain text goes to the prompt. FALSE when the clipboard holds nothing
 * usable. */
gboolean
clap_composer_paste (ClapComposer *self)
{
  GdkClipboard *clipboard;
  ClapInputZone *zone;
  ClapClipboardKind kind;

  g_return_val_if_fail (CLAP_IS_COMPOSER (self), FALSE);

  clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));
  kind = _clap_clipboard_get_kind (clipboard);
  if (kind == CLAP_CLIPBOARD_NONE)
    return FALSE;

  if ((zone = focused_zone (self)) != NULL)
    return clap_input_zone_paste (zone, clipboard);

  switch (kind)
    {
    case CLAP_CLIPBOARD_IMAGE:
      zone = pick_zone (self, CLAP_INPUT_KIND_IMAGE);
      return zone != NULL && clap_input_zone_paste (zone, clipboard);

    case CLAP_CLIPBOARD_FILES:
      {
        g_autoptr(GdkContentFormats) formats = NULL;

        formats = gdk_content_formats_ref (gdk_clipboard_get_formats (clipboard));
        formats = gdk_content_formats_union_deserialize_gtypes (formats);
        gdk_clipboard_read_value_async (clipboard,
                                        gdk_content_formats_contain_gtype (formats,
                                                                           GDK_TYPE_FILE_LIST)
                                        ? GDK_TYPE_FILE_LIST : G_TYPE_FILE,
                                        G_PRIORITY_DEFAULT, self->cancellable,
                                        paste_files_done, g_object_ref (self));
        return TRUE;
      }

    case CLAP_CLIPBOARD_TEXT:
      gdk_clipboard_read_text_async (clipboard, self->cancellable,
                                     paste_text_done, g_object_ref (self));
      return TRUE;

    case CLAP_CLIPBOARD_NONE:
    default:
      return FALSE;
    }
}

/* Private accessors, for tests ---------------------------------------------- */

GtkWidget *
_clap_composer_get_option_row (ClapComposer *self,
                               ClapOption    option)
{
  g_return_val_if_fail (option < CLAP_N_OPTIONS, NULL);
  return self->option_rows[option];
}

GtkWidget *
_clap_composer_get_voice_row (ClapComposer *self,
                              guint         index)
{
  return index < self->voice_rows->len ? g_ptr_array_index (self->voice_rows, index) : NULL;
}

GPtrArray *
_clap_composer_get_rows (ClapComposer *self)
{
  return self->rows;
}

AdwComboRow *
_clap_composer_get_model_row (ClapComposer *self)
{
  return self->model_row;
}

GtkTextView *
_clap_composer_get_prompt_view (ClapComposer *self)
{
  return self->prompt_view;
}

GtkWidget *
_clap_composer_get_negative_row (ClapComposer *self)
{
  return GTK_WIDGET (self->negative_row);
}

GtkLabel *
_clap_composer_get_counter_label (ClapComposer *self)
{
  return self->counter_label;
}

GtkSpinButton *
_clap_composer_get_takes_spin (ClapComposer *self)
{
  return self->takes_spin;
}

GtkLabel *
_clap_composer_get_price_label (ClapComposer *self)
{
  return self->price_label;
}

GtkLabel *
_clap_composer_get_price_detail (ClapComposer *self)
{
  return self->price_detail;
}

GtkButton *
_clap_composer_get_generate_button (ClapComposer *self)
{
  return self->generate_button;
}

GtkLabel *
_clap_composer_get_reason_label (ClapComposer *self)
{
  return self->reason_label;
}

GtkDropTarget *
_clap_composer_get_drop_target (ClapComposer *self)
{
  return self->drop_target;
}

/* Class -------------------------------------------------------------------- */

static void
on_takes_changed (ClapComposer *self)
{
  guint n = (guint) gtk_spin_button_get_value_as_int (self->takes_spin);

  if (n == self->n_takes)
    return;

  self->n_takes = n;
  update_summary (self);
  save_settings (self);
}

static void
generate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  clap_composer_generate (CLAP_COMPOSER (widget));
}

static void
insert_voice_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  _clap_composer_insert_voice (CLAP_COMPOSER (widget), g_variant_get_uint32 (parameter));
}

static void
clap_composer_dispose (GObject *object)
{
  ClapComposer *self = CLAP_COMPOSER (object);

  g_cancellable_cancel (self->cancellable);

  if (self->request != NULL)
    g_signal_handlers_disconnect_by_data (self->request, self);
  if (self->prompt_view != NULL)
    {
      g_signal_handlers_disconnect_by_data (gtk_text_view_get_buffer (self->prompt_view), self);
      g_signal_handlers_disconnect_by_data (gtk_text_view_get_buffer (self->negative_view), self);
      for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
        g_signal_handlers_disconnect_by_data (_clap_composer_get_zone (self, input_slots[i]), self);
    }

  _clap_composer_options_dispose (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CLAP_TYPE_COMPOSER);

  g_clear_object (&self->request);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (clap_composer_parent_class)->dispose (object);
}

static void
clap_composer_finalize (GObject *object)
{
  ClapComposer *self = CLAP_COMPOSER (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->voice_rows, g_ptr_array_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (clap_composer_parent_class)->finalize (object);
}

static void
clap_composer_class_init (ClapComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clap_composer_dispose;
  object_class->finalize = clap_composer_finalize;

  /**
   * ClapComposer::generate:
   * @request: a copy of the request, which the composer no longer changes
   * @n_takes: how many takes of it to send
   */
  signals[GENERATE] =
    g_signal_new ("generate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, CLAP_TYPE_REQUEST, G_TYPE_UINT);

  g_type_ensure (CLAP_TYPE_INPUT_ZONE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/app/clapboard/Clapboard/ui/clap-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, clamp);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, model_row);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, model_description);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, counter_label);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, prompt_placeholder);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, negative_list);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, negative_row);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, negative_view);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, negative_counter);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, inputs_group);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, image_zone);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, tail_zone);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, motion_zone);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, options_group);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, takes_spin);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, price_label);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, price_detail);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, generate_button);
  gtk_widget_class_bind_template_child (widget_class, ClapComposer, reason_label);
  gtk_widget_class_bind_template_callback (widget_class, on_takes_changed);

  gtk_widget_class_install_action (widget_class, "composer.generate", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "composer.insert-voice", "u",
                                   insert_voice_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "clapcomposer");
}

/* The model list shows what each model does, so the choice is informed,
 * and marks the chosen one as the row's own list does. */
static void
setup_model_item (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *description = gtk_label_new (NULL);
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_xalign (GTK_LABEL (description), 0);
  gtk_label_set_wrap (GTK_LABEL (description), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (description), 36);
  gtk_widget_add_css_class (description, "dim-label");
  gtk_widget_add_css_class (description, "caption");
  gtk_widget_set_hexpand (box, TRUE);
  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), description);
  gtk_box_append (GTK_BOX (row), box);
  gtk_box_append (GTK_BOX (row), check);
  gtk_list_item_set_child (item, row);
}

static void
update_model_check (GtkListItem *item,
                    GParamSpec  *pspec,
                    AdwComboRow *row)
{
  GtkWidget *check = gtk_widget_get_last_child (gtk_list_item_get_child (item));

  gtk_widget_set_opacity (check, gtk_list_item_get_position (item) ==
                                 adw_combo_row_get_selected (row) ? 1.0 : 0.0);
}

static void
bind_model_item (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 ClapComposer             *self)
{
  GtkWidget *box = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  guint position = gtk_list_item_get_position (item);
  const ClapModelSpec *model;

  if (position >= clap_catalog_get_n_models ())
    return;

  model = clap_catalog_get_model (position);
  gtk_label_set_label (GTK_LABEL (gtk_widget_get_first_child (box)),
                       g_dgettext (GETTEXT_PACKAGE, model->label));
  gtk_label_set_label (GTK_LABEL (gtk_widget_get_last_child (box)),
                       g_dgettext (GETTEXT_PACKAGE, model->description));

  g_signal_connect_object (self->model_row, "notify::selected",
                           G_CALLBACK (update_model_check), item, G_CONNECT_SWAPPED);
  update_model_check (item, NULL, self->model_row);
}

static void
unbind_model_item (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   ClapComposer             *self)
{
  g_signal_handlers_disconnect_by_func (self->model_row, update_model_check, item);
}

static void
clap_composer_init (ClapComposer *self)
{
  g_autoptr(GtkStringList) models = gtk_string_list_new (NULL);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GType drop_types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  gtk_widget_init_template (GTK_WIDGET (self));
  /* The button's name is its label's words (update_summary), not those
   * words followed by its mnemonic label's. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->generate_button),
                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);

  self->request = clap_request_new (NULL);
  self->cancellable = g_cancellable_new ();
  self->n_takes = 1;
  self->rows = g_ptr_array_new ();
  self->voice_rows = g_ptr_array_new ();

  for (guint i = 0; i < clap_catalog_get_n_models (); i++)
    gtk_string_list_append (models, g_dgettext (GETTEXT_PACKAGE, clap_catalog_get_model (i)->label));
  adw_combo_row_set_model (self->model_row, G_LIST_MODEL (models));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_model_item), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_model_item), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_model_item), self);
  adw_combo_row_set_list_factory (self->model_row, factory);
  g_signal_connect_swapped (self->model_row, "notify::selected",
                            G_CALLBACK (on_model_selected), self);

  g_signal_connect (gtk_text_view_get_buffer (self->prompt_view), "changed",
                    G_CALLBACK (on_prompt_changed), self);
  g_signal_connect (gtk_text_view_get_buffer (self->negative_view), "changed",
                    G_CALLBACK (on_negative_changed), self);

  for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
    {
      ClapInputZone *zone = _clap_composer_get_zone (self, input_slots[i]);

      g_signal_connect (zone, "notify::value", G_CALLBACK (on_zone_value), self);
      g_signal_connect (zone, "notify::busy", G_CALLBACK (on_zone_state), self);
      g_signal_connect (zone, "notify::error", G_CALLBACK (on_zone_state), self);
    }
  g_signal_connect (self->motion_zone, "notify::duration", G_CALLBACK (on_zone_duration), self);

  g_signal_connect (self->request, "notify", G_CALLBACK (on_request_notify), self);

  /* A file dropped anywhere else on the composer finds its zone; the zones
   * take their own drops first. */
  self->drop_target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (self->drop_target, drop_types, G_N_ELEMENTS (drop_types));
  g_signal_connect (self->drop_target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->drop_target));

  on_prompt_changed (gtk_text_view_get_buffer (self->prompt_view), self);
  _clap_composer_sync_options (self);
  update_summary (self);
}
