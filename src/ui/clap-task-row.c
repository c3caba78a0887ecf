/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-task-row"

#include "config.h"

#include <glib/gi18n.h>

#include "clap-task-row.h"
#include "clap-thumbnailer.h"

/* One take in the list: its first frame, prompt, model and options, state
 * (with a spinner and the time elapsed while the service works), cost, and
 * on failure the reason in words. Its buttons and context menu activate the
 * window's take actions with the take's uid. Rows are recycled by the list,
 * so everything here follows clap_task_row_set_task(). */

struct _ClapTaskRow
{
  GtkWidget   parent_instance;

  ClapTask   *task;
  GMenu      *menu;
  GtkWidget  *context_menu;
  guint       tick_id;
  const char *named_state;
  GCancellable *thumbnail_load;

  GtkWidget  *box;
  GtkBox     *info_box;
  GtkBox     *buttons;
  GtkPicture *thumbnail;
  GtkWidget  *placeholder;
  GtkSpinner *spinner;
  GtkLabel   *prompt_label;
  GtkLabel   *details_label;
  GtkLabel   *state_label;
  GtkProgressBar *progress_bar;
  GtkLabel   *message_label;
  GtkLabel   *warning_label;
  GtkWidget  *preview_button;
  GtkWidget  *save_button;
  GtkWidget  *retry_button;
  GtkWidget  *menu_button;
};

G_DEFINE_FINAL_TYPE (ClapTaskRow, clap_task_row, GTK_TYPE_WIDGET)

/* Thumbnails already loaded, by path: scrolling back must not reload them.
 * Each is at most THUMBNAIL_WIDTH × THUMBNAIL_HEIGHT (111 KiB). */
static GHashTable *texture_cache;
#define TEXTURE_CACHE_MAX 120

/* Twice the 112 × 63 the row shows, for a sharp picture at scale 2. */
#define THUMBNAIL_WIDTH 224
#define THUMBNAIL_HEIGHT 126

static GdkTexture *
lookup_texture (const char *path)
{
  GdkTexture *texture = texture_cache ? g_hash_table_lookup (texture_cache, path) : NULL;

  return texture ? g_object_ref (texture) : NULL;
}

static void
cache_texture (const char *path,
               GdkTexture *texture)
{
  if (texture_cache == NULL)
    texture_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  if (g_hash_table_size (texture_cache) >= TEXTURE_CACHE_MAX)
    g_hash_table_remove_all (texture_cache);
  g_hash_table_insert (texture_cache, g_strdup (path), g_object_ref (texture));
}

/* Decodes the image at @path no larger than the row needs (a provider's
 * thumbnail may be a full frame; JPEG decodes at a fraction of its size),
 * cut to 16:9 about its middle as the row shows it. In a worker thread. */
static void
decode_thumbnail (GTask        *task,
                  gpointer      source,
                  gpointer      path,
                  GCancellable *cancellable)
{
  g_autoptr(GdkPixbuf) scaled = NULL;
  g_autoptr(GdkPixbuf) middle = NULL;
  GError *error = NULL;
  int width, height, crop_width, crop_height;
  double scale;

  if (gdk_pixbuf_get_file_info (path, &width, &height) == NULL || width <= 0 || height <= 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an image");
      return;
    }

  scale = MIN (1.0, MAX ((double) THUMBNAIL_WIDTH / width, (double) THUMBNAIL_HEIGHT / height));
  scaled = gdk_pixbuf_new_from_file_at_scale (path, MAX (1, (int) (width * scale + 0.5)),
                                              MAX (1, (int) (height * scale + 0.5)), FALSE, &error);
  if (scaled == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  width = gdk_pixbuf_get_width (scaled);
  height = gdk_pixbuf_get_height (scaled);
  crop_width = MIN (width, MAX (1, height * 16 / 9));
  crop_height = MIN (height, MAX (1, width * 9 / 16));
  middle = gdk_pixbuf_new_subpixbuf (scaled, (width - crop_width) / 2, (height - crop_height) / 2,
                                     crop_width, crop_height);
  g_task_return_pointer (task, gdk_pixbuf_copy (middle), g_object_unref);
}

static char *
format_duration (gint64 ms)
{
  gint64 s = MAX (ms, 0) / 1000;

  if (s >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", s / 3600, (int) (s / 60 % 60),
                            (int) (s % 60));
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d", s / 60, (int) (s % 60));
}

static gint64
started_ms (ClapTask *task)
{
  return clap_task_get_create_time (task) > 0 ? clap_task_get_create_time (task)
                                               : clap_task_get_submit_time (task);
}

/* The list's cell (our parent) is what a screen reader lands on: it is
 * named after the prompt and the state in a word, not the ticking time. */
static void
update_cell_name (ClapTaskRow *self,
                  const char  *state)
{
  GtkWidget *cell = gtk_widget_get_parent (GTK_WIDGET (self));
  const char *prompt = clap_task_get_prompt (self->task);
  g_autofree char *name = NULL;

  if (cell == NULL || state == self->named_state)
    return;

  self->named_state = state;
  /* Translators: how a take is announced: its prompt, then its state */
  name = g_strdup_printf (_("%s, %s"), prompt && *prompt ? prompt : _("(No prompt)"), state);
  gtk_accessible_update_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static void
update_state (ClapTaskRow *self)
{
  ClapTask *task = self->task;
  ClapTaskState state = clap_task_get_state (task);
  gint64 now = g_get_real_time () / 1000;
  g_autofree char *elapsed = format_duration (now - started_ms (task));
  g_autofree char *text = NULL;
  const char *tooltip = NULL;
  const char *word = "";
  gboolean busy;

  switch (state)
    {
    case CLAP_TASK_STATE_SUBMITTING:
      text = g_strdup (_("Submitting…"));
      word = _("Submitting");
      break;
    case CLAP_TASK_STATE_PENDING:
      text = g_strdup_printf (_("Queued · %s"), elapsed);
      tooltip = _("Most takes are done in about 2½ minutes, 9 in 10 within 8 minutes.");
      word = _("Queued");
      break;
    case CLAP_TASK_STATE_PROCESSING:
      /* A state the service names in a way Clapboard does not know: said as
       * it is, while Clapboard keeps asking. */
      if (clap_task_get_service_state (task) != NULL)
        /* Translators: "Generating · 1:23 · the service says “rendering”" */
        text = g_strdup_printf (_("Generating · %s · the service says “%s”"), elapsed,
                                clap_task_get_service_state (task));
      else
        text = g_strdup_printf (_("Generating · %s"), elapsed);
      tooltip = _("Most takes are done in about 2½ minutes, 9 in 10 within 8 minutes.");
      word = _("Generating");
      break;
    case CLAP_TASK_STATE_COMPLETED:
      word = _("Completed");
      {
        g_autofree char *took = clap_task_get_complete_time (task) > 0
                                ? format_duration (clap_task_get_complete_time (task) - started_ms (task))
                                : NULL;
        gint64 expiry = clap_task_get_result_expiry (task);

        if (clap_task_get_local_file (task) != NULL)
          text = took ? g_strdup_printf (_("Completed in %s"), took) : g_strdup (_("Completed"));
        else if (clap_task_is_missing_link (task))
          {
            text = g_strdup (_("Completed · no link yet"));
            tooltip = _("Clapboard asks the service again for the link, less and less often, "
                        "for a day.");
          }
        else if (clap_task_get_evicted_time (task) > 0)
          text = g_strdup (_("Completed · removed from the cache"));
        else if (expiry > 0 && now >= expiry)
          text = g_strdup (_("Completed · the link has expired"));
        else if (clap_task_get_error_message (task) != NULL && expiry - now < 24 * 3600 * 1000)
          {
            g_autofree char *left = format_duration (expiry - now);
            /* Translators: %s is hours:minutes:seconds left */
            text = g_strdup_printf (_("Not downloaded · the link expires in %s"), left);
            tooltip = _("Download it now: the provider keeps results for 7 days.");
          }
        else if (clap_task_get_error_message (task) != NULL)
          text = g_strdup (_("Completed · not downloaded"));
        else
          text = g_strdup (_("Completed · downloading…"));
      }
      break;
    case CLAP_TASK_STATE_FAILED:
      text = g_strdup (_("Failed · not charged"));
      word = _("Failed");
      break;
    case CLAP_TASK_STATE_INTERRUPTED:
      word = _("Submission interrupted");
      text = g_strdup (word);
      break;
    default:
      text = g_strdup ("");
    }

  gtk_label_set_label (self->state_label, text);
  update_cell_name (self, word);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_label), tooltip);

  busy = state == CLAP_TASK_STATE_SUBMITTING || clap_task_state_is_active (state) ||
         clap_task_needs_download (task);
  gtk_spinner_set_spinning (self->spinner, busy && clap_task_get_error_message (task) == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy && clap_task_get_error_message (task) == NULL);

  gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "success");
  if (state == CLAP_TASK_STATE_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "error");
  else if (state == CLAP_TASK_STATE_INTERRUPTED || clap_task_get_error_message (task) != NULL ||
           (state == CLAP_TASK_STATE_COMPLETED && clap_task_get_local_file (task) == NULL &&
            clap_task_get_evicted_time (task) == 0))
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "warning");
  else if (state == CLAP_TASK_STATE_COMPLETED && clap_task_get_local_file (task) != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "success");
}

static gboolean
tick_cb (gpointer user_data)
{
  ClapTaskRow *self = user_data;

  if (self->task != NULL)
    update_state (self);
  return G_SOURCE_CONTINUE;
}

/* The elapsed time moves once a second, and only on visible active rows. */
static void
update_tick (ClapTaskRow *self)
{
  gboolean active = self->task != NULL &&
                    (clap_task_state_is_active (clap_task_get_state (self->task)) ||
                     clap_task_get_state (self->task) == CLAP_TASK_STATE_SUBMITTING);

  if (active && self->tick_id == 0)
    {
      self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
      g_source_set_name_by_id (self->tick_id, "[clap-task-row] elapsed");
    }
  else if (!active)
    {
      g_clear_handle_id (&self->tick_id, g_source_remove);
    }
}

static void
show_texture (ClapTaskRow *self,
              GdkTexture  *texture)
{
  gtk_picture_set_paintable (self->thumbnail, GDK_PAINTABLE (texture));
  gtk_widget_set_visible (self->placeholder, texture == NULL &&
                                             !gtk_spinner_get_spinning (self->spinner));
}

static void
thumbnail_decoded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClapTaskRow *self = CLAP_TASK_ROW (source);
  const char *path = g_task_get_task_data (G_TASK (result));
  g_autoptr(GdkPixbuf) pixbuf = g_task_propagate_pointer (G_TASK (result), NULL);
  g_autoptr(GdkTexture) texture = NULL;

  if (pixbuf == NULL)
    {
      g_debug ("The thumbnail %s could not be read", path);
      return;
    }

  texture = gdk_texture_new_for_pixbuf (pixbuf);
  cache_texture (path, texture);

  /* Kept either way; shown if the row still shows that take. */
  if (!g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))) &&
      self->task != NULL && g_strcmp0 (clap_task_get_thumbnail_file (self->task), path) == 0)
    show_texture (self, texture);
}

/* The thumbnail is read in the background: scrolling binds rows by the
 * dozen, and a full-frame JPEG takes milliseconds to decode. */
static void
update_thumbnail (ClapTaskRow *self)
{
  ClapTask *task = self->task;
  const char *path = clap_task_get_thumbnail_file (task);
  g_autoptr(GdkTexture) texture = path ? lookup_texture (path) : NULL;

  g_cancellable_cancel (self->thumbnail_load);
  g_clear_object (&self->thumbnail_load);
  show_texture (self, texture);

  if (texture == NULL && path != NULL)
    {
      g_autoptr(GTask) load = NULL;

      self->thumbnail_load = g_cancellable_new ();
      load = g_task_new (self, self->thumbnail_load, thumbnail_decoded, NULL);
      g_task_set_check_cancellable (load, FALSE);
      g_task_set_task_data (load, g_strdup (path), g_free);
      g_task_run_in_thread (load, decode_thumbnail);
    }
  /* No thumbnail from the provider: the clip's first frame will do. */
  else if (path == NULL && clap_task_get_local_file (task) != NULL)
    clap_thumbnailer_request (task);
}

/* Rows are many (the list keeps about 30 alive) and most never show a
 * message, a download bar or a retry button: those are made when needed. */
static GtkLabel *
ensure_message_label (ClapTaskRow *self)
{
  if (self->message_label == NULL)
    {
      self->message_label = GTK_LABEL (gtk_label_new (NULL));
      gtk_label_set_xalign (self->message_label, 0);
      gtk_label_set_wrap (self->message_label, TRUE);
      gtk_label_set_wrap_mode (self->message_label, PANGO_WRAP_WORD_CHAR);
      gtk_label_set_selectable (self->message_label, TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "caption");
      gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
      gtk_box_append (self->info_box, GTK_WIDGET (self->message_label));
    }
  return self->message_label;
}

/* Something to check that does not change the take's state: the same task
 * id as another take, a model other than the one asked for. */
static GtkLabel *
ensure_warning_label (ClapTaskRow *self)
{
  if (self->warning_label == NULL)
    {
      self->warning_label = GTK_LABEL (gtk_label_new (NULL));
      gtk_label_set_xalign (self->warning_label, 0);
      gtk_label_set_wrap (self->warning_label, TRUE);
      gtk_label_set_wrap_mode (self->warning_label, PANGO_WRAP_WORD_CHAR);
      gtk_label_set_selectable (self->warning_label, TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self->warning_label), "caption");
      gtk_widget_add_css_class (GTK_WIDGET (self->warning_label), "warning");
      gtk_box_append (self->info_box, GTK_WIDGET (self->warning_label));
    }
  return self->warning_label;
}

static GtkProgressBar *
ensure_progress_bar (ClapTaskRow *self)
{
  if (self->progress_bar == NULL)
    {
      self->progress_bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
      gtk_widget_set_margin_top (GTK_WIDGET (self->progress_bar), 3);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Download progress"),
                                      -1);
      gtk_box_insert_child_after (self->info_box, GTK_WIDGET (self->progress_bar),
                                  GTK_WIDGET (self->state_label));
    }
  return self->progress_bar;
}

static void
update_message (ClapTaskRow *self)
{
  ClapTask *task = self->task;
  const char *message = clap_task_get_fail_message (task);
  double progress = clap_task_get_progress (task);
  gboolean downloading = clap_task_needs_download (task) && clap_task_get_error_message (task) == NULL;

  if (message == NULL)
    message = clap_task_get_error_message (task);

  if (message != NULL)
    gtk_label_set_label (ensure_message_label (self), message);
  if (self->message_label != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);

  if (clap_task_get_warning (task) != NULL)
    gtk_label_set_label (ensure_warning_label (self), clap_task_get_warning (task));
  if (self->warning_label != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->warning_label), clap_task_get_warning (task) != NULL);

  if (downloading && progress > 0)
    gtk_progress_bar_set_fraction (ensure_progress_bar (self), progress);
  if (self->progress_bar != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), downloading && progress > 0);
}

static void
update_details (ClapTaskRow *self)
{
  g_autofree char *description = clap_task_dup_description (self->task);
  g_autofree char *price = clap_price_format (clap_task_get_cost (self->task));
  g_autofree char *text = g_strdup_printf ("%s · %s", description, price);
  const char *prompt = clap_task_get_prompt (self->task);

  gtk_label_set_label (self->prompt_label, prompt && *prompt ? prompt : _("(No prompt)"));
  gtk_label_set_label (self->details_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->prompt_label), prompt);
}

static void
append_item (GMenu      *section,
             const char *label,
             const char *action,
             const char *uid)
{
  g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, action, g_variant_new_string (uid));
  g_menu_append_item (section, item);
}

static void
update_actions (ClapTaskRow *self)
{
  ClapTask *task = self->task;
  ClapTaskState state = clap_task_get_state (task);
  const char *uid = clap_task_get_uid (task);
  gboolean has_file = clap_task_get_local_file (task) != NULL;
  gboolean retry = state == CLAP_TASK_STATE_INTERRUPTED ||
                   (state == CLAP_TASK_STATE_FAILED && clap_task_get_task_id (task) == NULL);
  g_autoptr(GMenu) files = g_menu_new ();
  g_autoptr(GMenu) copy = g_menu_new ();
  g_autoptr(GMenu) take = g_menu_new ();

  g_menu_remove_all (self->menu);

  if (has_file)
    {
      append_item (files, _("_Preview"), "win.preview", uid);
      append_item (files, _("_Save As…"), "win.save-as", uid);
      append_item (files, _("_Open Containing Folder"), "win.open-folder", uid);
    }
  else if (state == CLAP_TASK_STATE_COMPLETED &&
           (clap_task_get_error_message (task) != NULL || clap_task_get_evicted_time (task) > 0) &&
           g_get_real_time () / 1000 < clap_task_get_result_expiry (task))
    {
      append_item (files, _("_Download Again"), "win.download", uid);
    }

  if (clap_task_get_task_id (task) != NULL)
    append_item (copy, _("Copy Task _ID"), "win.copy-id", uid);
  append_item (copy, _("Copy _Prompt"), "win.copy-prompt", uid);
  append_item (copy, _("Request _Details"), "win.details", uid);
  append_item (take, _("_Reuse Settings"), "win.reuse", uid);
  if (retry)
    append_item (take, _("Send _Again…"), "win.retry", uid);
  append_item (take, _("_Remove from History…"), "win.remove", uid);

  if (g_menu_model_get_n_items (G_MENU_MODEL (files)) > 0)
    g_menu_append_section (self->menu, NULL, G_MENU_MODEL (files));
  g_menu_append_section (self->menu, NULL, G_MENU_MODEL (copy));
  g_menu_append_section (self->menu, NULL, G_MENU_MODEL (take));

  /* The target first: a name without its target would be a mismatch. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->preview_button), "s", uid);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->save_button), "s", uid);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->preview_button), "win.preview");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->save_button), "win.save-task");

  if (retry && self->retry_button == NULL)
    {
      self->retry_button = gtk_button_new_from_icon_name ("view-refresh-symbolic");
      gtk_widget_set_tooltip_text (self->retry_button, _("Send Again…"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->retry_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Send again"), -1);
      gtk_widget_add_css_class (self->retry_button, "flat");
      gtk_widget_add_css_class (self->retry_button, "circular");
      gtk_box_insert_child_after (self->buttons, self->retry_button, self->save_button);
    }
  if (self->retry_button != NULL)
    {
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->retry_button), "s", uid);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->retry_button), "win.retry");
    }
  gtk_widget_set_visible (self->preview_button, has_file);
  gtk_widget_set_visible (self->save_button, has_file);
  if (self->retry_button != NULL)
    gtk_widget_set_visible (self->retry_button, retry);
}

static void
update_all (ClapTaskRow *self)
{
  update_details (self);
  update_state (self);
  update_message (self);
  update_thumbnail (self);
  update_actions (self);
  update_tick (self);
}

static void
on_task_notify (ClapTask    *task,
                GParamSpec  *pspec,
                ClapTaskRow *self)
{
  const char *name = pspec->name;

  if (g_str_equal (name, "progress"))
    {
      update_message (self);
      return;
    }

  if (g_str_equal (name, "thumbnail-file"))
    {
      update_thumbnail (self);
      return;
    }

  update_state (self);
  update_message (self);
  update_thumbnail (self);
  update_actions (self);
  update_tick (self);
}

ClapTaskRow *
clap_task_row_new (void)
{
  return g_object_new (CLAP_TYPE_TASK_ROW, NULL);
}

ClapTask *
clap_task_row_get_task (ClapTaskRow *self)
{
  g_return_val_if_fail (CLAP_IS_TASK_ROW (self), NULL);
  return self->task;
}

void
clap_task_row_set_task (ClapTaskRow *self,
                        ClapTask    *task)
{
  g_return_if_fail (CLAP_IS_TASK_ROW (self));

  if (self->task == task)
    return;

  if (self->task != NULL)
    g_signal_handlers_disconnect_by_data (self->task, self);

  g_set_object (&self->task, task);
  self->named_state = NULL;

  if (task == NULL)
    {
      g_clear_handle_id (&self->tick_id, g_source_remove);
      return;
    }

  g_signal_connect (task, "notify", G_CALLBACK (on_task_notify), self);
  update_all (self);
}

/* The take's menu, made on first use (a popover is a surface of its own),
 * shown at @rect in the row's coordinates. */
static void
popup_menu (ClapTaskRow        *self,
            const GdkRectangle *rect,
            gboolean            arrow)
{
  if (self->context_menu == NULL)
    {
      self->context_menu = gtk_popover_menu_new_from_model (G_MENU_MODEL (self->menu));
      gtk_widget_set_halign (self->context_menu, GTK_ALIGN_START);
      gtk_widget_set_parent (self->context_menu, GTK_WIDGET (self));
    }

  gtk_popover_set_has_arrow (GTK_POPOVER (self->context_menu), arrow);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->context_menu), rect);
  gtk_popover_popup (GTK_POPOVER (self->context_menu));
}

static void
on_right_click (GtkGestureClick *gesture,
                int              n_press,
                double           x,
                double           y,
                ClapTaskRow     *self)
{
  GdkRectangle rect = { (int) x, (int) y, 1, 1 };

  if (self->task == NULL)
    return;

  popup_menu (self, &rect, FALSE);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
on_menu_button_clicked (ClapTaskRow *self)
{
  graphene_rect_t bounds;
  GdkRectangle rect;

  if (self->task == NULL ||
      !gtk_widget_compute_bounds (self->menu_button, GTK_WIDGET (self), &bounds))
    return;

  rect = (GdkRectangle) { (int) bounds.origin.x, (int) bounds.origin.y,
                          (int) bounds.size.width, (int) bounds.size.height };
  popup_menu (self, &rect, TRUE);
}

static void
clap_task_row_dispose (GObject *object)
{
  ClapTaskRow *self = CLAP_TASK_ROW (object);

  clap_task_row_set_task (self, NULL);
  g_cancellable_cancel (self->thumbnail_load);
  g_clear_object (&self->thumbnail_load);
  g_clear_pointer (&self->context_menu, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), CLAP_TYPE_TASK_ROW);

  G_OBJECT_CLASS (clap_task_row_parent_class)->dispose (object);
}

static void
clap_task_row_finalize (GObject *object)
{
  ClapTaskRow *self = CLAP_TASK_ROW (object);

  g_clear_object (&self->menu);

  G_OBJECT_CLASS (clap_task_row_parent_class)->finalize (object);
}

static void
clap_task_row_class_init (ClapTaskRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clap_task_row_dispose;
  object_class->finalize = clap_task_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/app/clapboard/Clapboard/ui/clap-task-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, box);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, info_box);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, buttons);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, thumbnail);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, placeholder);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, prompt_label);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, preview_button);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, save_button);
  gtk_widget_class_bind_template_child (widget_class, ClapTaskRow, menu_button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "taskrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
clap_task_row_init (ClapTaskRow *self)
{
  GtkGesture *gesture;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->menu = g_menu_new ();
  g_signal_connect_swapped (self->menu_button, "clicked", G_CALLBACK (on_menu_button_clicked), self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_HAS_POPUP, TRUE, -1);


  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect (gesture, "pressed", G_CALLBACK (on_right_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
}
