/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-window"

#include "config.h"

#include <glib/gi18n.h>

#include "clap-catalog.h"
#include "clap-task-row.h"
#include "clap-widget-util.h"
#include "clap-window-private.h"

/* The main window: the composer on one side, the takes on the other (a
 * filtered view of the history, newest first), a preview of the chosen take
 * above them, and toasts for what went wrong. Narrow windows stack the two
 * sides vertically. */

G_DEFINE_FINAL_TYPE (ClapWindow, clap_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  STATE_ALL,
  STATE_ACTIVE,
  STATE_COMPLETED,
  STATE_FAILED,
};

ClapWindow *
clap_window_new (ClapApplication *app)
{
  return g_object_new (CLAP_TYPE_WINDOW, "application", app, NULL);
}

ClapSession *
clap_window_get_session (ClapWindow *self)
{
  g_return_val_if_fail (CLAP_IS_WINDOW (self), NULL);
  return self->session;
}

ClapTask *
clap_window_get_previewed (ClapWindow *self)
{
  g_return_val_if_fail (CLAP_IS_WINDOW (self), NULL);
  return self->previewed;
}

/* A toast; long messages keep their words (a toast title wraps). */
void
clap_window_show_message (ClapWindow *self,
                          const char *message)
{
  AdwToast *toast;

  g_return_if_fail (CLAP_IS_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
update_stack (ClapWindow *self)
{
  guint n_all, n_shown;

  /* A spinner animates through CSS even where it is not seen: it runs only
   * while the history loads, or the window would draw 60 frames a second. */
  gtk_spinner_set_spinning (self->loading_spinner, self->session == NULL && !self->history_broken);

  if (self->session == NULL && self->history_broken)
    {
      gtk_stack_set_visible_child_name (self->takes_stack, "broken");
      return;
    }

  if (self->session == NULL)
    {
      gtk_stack_set_visible_child_name (self->takes_stack, "loading");
      return;
    }

  n_all = g_list_model_get_n_items (G_LIST_MODEL (clap_session_get_store (self->session)));
  n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  if (n_all == 0)
    gtk_stack_set_visible_child_name (self->takes_stack, "empty");
  else if (n_shown == 0)
    gtk_stack_set_visible_child_name (self->takes_stack, "no-results");
  else
    gtk_stack_set_visible_child_name (self->takes_stack, "list");
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  ClapWindow *self)
{
  update_stack (self);
}

static gboolean
state_filter_func (gpointer item,
                   gpointer user_data)
{
  ClapWindow *self = user_data;
  ClapTaskState state = clap_task_get_state (CLAP_TASK (item));

  switch (gtk_drop_down_get_selected (self->state_filter))
    {
    case STATE_ACTIVE:
      return state == CLAP_TASK_STATE_SUBMITTING || clap_task_state_is_active (state);
    case STATE_COMPLETED:
      return state == CLAP_TASK_STATE_COMPLETED;
    case STATE_FAILED:
      return state == CLAP_TASK_STATE_FAILED || state == CLAP_TASK_STATE_INTERRUPTED;
    case STATE_ALL:
    default:
      return TRUE;
    }
}

static void
on_state_filter_changed (ClapWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->state_filter_model), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
on_search_changed (GtkSearchEntry *entry,
                   ClapWindow     *self)
{
  gtk_string_filter_set_search (self->text_filter, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* Escape in the search entry closes the search: the focus goes back to
 * the takes at once, not into an entry that slides away and keeps the
 * next keys. */
static void
on_search_mode_changed (ClapWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (!gtk_search_bar_get_search_mode (self->search_bar) && focus != NULL &&
      gtk_widget_is_ancestor (focus, GTK_WIDGET (self->search_bar)))
    gtk_widget_grab_focus (GTK_WIDGET (self->takes_view));
}

static void
on_catalog_close_clicked (ClapWindow *self)
{
  gtk_revealer_set_reveal_child (self->catalog_banner, FALSE);
}

static void
on_session_error (ClapSession *session,
                  ClapTask    *task,
                  GError      *error,
                  ClapWindow  *self)
{
  clap_window_show_message (self, error->message);
}

static void
on_generate (ClapComposer *composer,
             ClapRequest  *request,
             guint         n_takes,
             ClapWindow   *self)
{
  if (self->session == NULL)
    {
      clap_window_show_message (self, _("The history is still loading; try again in a moment."));
      return;
    }

  clap_session_submit (self->session, request, n_takes);

  /* The new takes are at the top: show them. */
  gtk_adjustment_set_value (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->takes_view)), 0);
}

/* A narrow header has no room for the badge beside the title (it would
 * cut "Clapboard" short); the banner under it still says demo mode. */
#define BADGE_MIN_WIDTH 480

static void
update_demo_badge (ClapWindow *self)
{
  int width, height;

  /* GTK 4.8 writes both */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  gtk_widget_set_visible (self->demo_badge, self->demo && (width <= 0 || width >= BADGE_MIN_WIDTH));
}

/* Shows the takes of @session; NULL while it is being opened. */
void
clap_window_set_session (ClapWindow  *self,
                         ClapSession *session,
                         gboolean     demo)
{
  g_return_if_fail (CLAP_IS_WINDOW (self));

  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_signal_handlers_disconnect_by_data (clap_session_get_store (self->session), self);
    }

  clap_window_preview (self, NULL);
  g_set_object (&self->session, session);
  if (session != NULL)
    self->history_broken = FALSE;

  self->demo = demo;
  update_demo_badge (self);
  gtk_revealer_set_reveal_child (self->demo_banner, demo);
  adw_window_title_set_subtitle (self->window_title,
                                 demo ? _("Simulated takes, free of charge") : NULL);

  if (session != NULL)
    {
      GListModel *store = G_LIST_MODEL (clap_session_get_store (session));

      gtk_filter_list_model_set_model (self->filtered, store);
      g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), self);
      g_signal_connect (session, "error", G_CALLBACK (on_session_error), self);
    }
  else
    {
      gtk_filter_list_model_set_model (self->filtered, NULL);
    }

  update_stack (self);
}

/* The history could not be opened: said in place of the takes, with what
 * the person can do: set a damaged one aside, or try again once the disk
 * has room or the folder can be written. */
void
clap_window_show_history_error (ClapWindow   *self,
                                const GError *error)
{
  gboolean damaged;

  g_return_if_fail (CLAP_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  damaged = g_error_matches (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_DAMAGED);
  self->history_broken = TRUE;
  adw_status_page_set_description (self->broken_page, error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->set_aside_button), damaged);
  if (damaged)
    gtk_widget_remove_css_class (GTK_WIDGET (self->reopen_button), "suggested-action");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->reopen_button), "suggested-action");
  update_stack (self);
}

/* Plays @task's cached clip above the list; NULL closes the preview. */
void
clap_window_preview (ClapWindow *self,
                     ClapTask   *task)
{
  g_return_if_fail (CLAP_IS_WINDOW (self));

  if (task != NULL && clap_task_get_local_file (task) == NULL)
    {
      clap_window_show_message (self, _("This take has no clip on this computer yet."));
      return;
    }

  g_set_object (&self->previewed, task);
  /* Escape closes the preview only while there is one (its key binding
   * lets the key go on otherwise). */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-preview", task != NULL);

  if (task == NULL)
    {
      GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

      clap_player_set_file (self->player, NULL);
      gtk_revealer_set_reveal_child (self->preview_revealer, FALSE);
      /* Keyboard users land back in the takes, not nowhere. */
      if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->preview_revealer)))
        gtk_widget_grab_focus (GTK_WIDGET (self->takes_view));
      return;
    }

  {
    g_autoptr(GFile) file = g_file_new_for_path (clap_task_get_local_file (task));

    gtk_label_set_label (self->preview_title, clap_task_get_prompt (task)
                                              ? clap_task_get_prompt (task) : "");
    clap_player_set_file (self->player, file);
    clap_player_play (self->player);
    gtk_revealer_set_reveal_child (self->preview_revealer, TRUE);
  }
}

static void
on_list_activate (GtkGridView *view,
                  guint        position,
                  ClapWindow  *self)
{
  g_autoptr(ClapTask) task = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (task != NULL && clap_task_get_local_file (task) != NULL)
    clap_window_preview (self, task);
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           ClapWindow               *self)
{
  gtk_list_item_set_child (item, GTK_WIDGET (clap_task_row_new ()));
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          ClapWindow               *self)
{
  ClapTaskRow *row = CLAP_TASK_ROW (gtk_list_item_get_child (item));

  clap_task_row_set_task (row, gtk_list_item_get_item (item));
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            ClapWindow               *self)
{
  clap_task_row_set_task (CLAP_TASK_ROW (gtk_list_item_get_child (item)), NULL);
}

static gboolean
clap_window_close_request (GtkWindow *window)
{
  ClapWindow *self = CLAP_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  clap_window_preview (self, NULL);

  return GTK_WINDOW_CLASS (clap_window_parent_class)->close_request (window);
}

static void
clap_window_dispose (GObject *object)
{
  ClapWindow *self = CLAP_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_signal_handlers_disconnect_by_data (clap_session_get_store (self->session), self);
    }
  g_clear_object (&self->session);
  g_clear_object (&self->previewed);

  gtk_widget_dispose_template (GTK_WIDGET (self), CLAP_TYPE_WINDOW);

  G_OBJECT_CLASS (clap_window_parent_class)->dispose (object);
}

static void
clap_window_finalize (GObject *object)
{
  ClapWindow *self = CLAP_WINDOW (object);

  g_clear_object (&self->filtered);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (clap_window_parent_class)->finalize (object);
}

static void
clap_window_class_init (ClapWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = clap_window_dispose;
  object_class->finalize = clap_window_finalize;
  window_class->close_request = clap_window_close_request;

  g_type_ensure (CLAP_TYPE_COMPOSER);
  g_type_ensure (CLAP_TYPE_SPLIT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/app/clapboard/Clapboard/ui/clap-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, demo_badge);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, demo_banner);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, enter_key_button);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, catalog_banner);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, broken_page);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, set_aside_button);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, reopen_button);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, catalog_label);
  gtk_widget_class_bind_template_callback (widget_class, on_catalog_close_clicked);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, split_view);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, composer);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, preview_revealer);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, preview_title);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, player_bin);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, state_filter);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, takes_stack);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClapWindow, takes_view);

  _clap_window_class_add_actions (widget_class);
}

/* A person's own catalogue that cannot be used stays named above the
 * composer until dismissed: prices and names may not be what they expect. */
static void
update_catalog_banner (ClapWindow *self)
{
  const GError *error = clap_catalog_get_override_error ();

  if (error != NULL)
    gtk_label_set_label (self->catalog_label, error->message);
  gtk_revealer_set_reveal_child (self->catalog_banner, error != NULL);
}

static void
clap_window_init (ClapWindow *self)
{
  const char *states[] = { N_("All Takes"), N_("In Progress"), N_("Completed"), N_("Failed"), NULL };
  g_autoptr(GtkStringList) state_names = gtk_string_list_new (NULL);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkEveryFilter) filter = gtk_every_filter_new ();
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));
  clap_button_name_after_label (self->enter_key_button);
  clap_button_name_after_label (self->set_aside_button);
  clap_button_name_after_label (self->reopen_button);
  update_catalog_banner (self);

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  /* The player */
  self->player = clap_player_new ();
  adw_bin_set_child (self->player_bin, GTK_WIDGET (self->player));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-preview", FALSE);

  /* The takes: the history, filtered by words and by state */
  for (guint i = 0; states[i] != NULL; i++)
    gtk_string_list_append (state_names, _(states[i]));
  gtk_drop_down_set_model (self->state_filter, G_LIST_MODEL (state_names));
  /* The focus goes to the drop-down's own toggle button, which GTK 4.8
   * leaves nameless: it is named after the drop-down. */
  {
    GtkWidget *button = gtk_widget_get_first_child (GTK_WIDGET (self->state_filter));

    if (GTK_IS_TOGGLE_BUTTON (button))
      gtk_accessible_update_relation (GTK_ACCESSIBLE (button),
                                      GTK_ACCESSIBLE_RELATION_LABELLED_BY, self->state_filter, NULL,
                                      -1);
  }
  g_signal_connect_swapped (self->state_filter, "notify::selected",
                            G_CALLBACK (on_state_filter_changed), self);

  self->text_filter = gtk_string_filter_new (gtk_property_expression_new (CLAP_TYPE_TASK, NULL,
                                                                          "prompt"));
  gtk_string_filter_set_ignore_case (self->text_filter, TRUE);
  gtk_string_filter_set_match_mode (self->text_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  self->state_filter_model = gtk_custom_filter_new (state_filter_func, self, NULL);
  gtk_multi_filter_append (GTK_MULTI_FILTER (filter), GTK_FILTER (self->text_filter));
  gtk_multi_filter_append (GTK_MULTI_FILTER (filter), GTK_FILTER (self->state_filter_model));
  self->filtered = gtk_filter_list_model_new (NULL, GTK_FILTER (g_steal_pointer (&filter)));
  g_signal_connect (self->filtered, "items-changed", G_CALLBACK (on_items_changed), self);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->filtered)));
  gtk_grid_view_set_model (self->takes_view, GTK_SELECTION_MODEL (selection));
  gtk_grid_view_set_factory (self->takes_view, factory);
  g_object_unref (selection);
  g_signal_connect (self->takes_view, "activate", G_CALLBACK (on_list_activate), self);

  /* Search */
  g_object_bind_property (self->search_button, "active", self->search_bar, "search-mode-enabled",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect_swapped (self->search_bar, "notify::search-mode-enabled",
                            G_CALLBACK (on_search_mode_changed), self);

  g_signal_connect (self->composer, "generate", G_CALLBACK (on_generate), self);
  /* GTK keeps the default size up to date as the window is resized */
  g_signal_connect_swapped (self, "notify::default-width", G_CALLBACK (update_demo_badge), self);
  clap_composer_set_settings (self->composer, self->settings);

  update_stack (self);
}
