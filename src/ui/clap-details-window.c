/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-details-window"

#include "config.h"

#include <glib/gi18n.h>

#include "clap-details-window.h"
#include "clap-exchange.h"

/* Request Details: what Clapboard sent to the service for a take and what
 * it answered, as the history keeps them (the key redacted, each body
 * capped), for a person to read or to copy into a support request. The
 * history is read in a worker thread; the window shows a spinner until
 * then. */

struct _ClapDetailsWindow
{
  AdwWindow        parent_instance;

  GCancellable    *cancellable;

  /* template */
  AdwWindowTitle  *window_title;
  GtkButton       *copy_button;
  AdwToastOverlay *toast_overlay;
  GtkStack        *stack;
  GtkSpinner      *spinner;
  AdwStatusPage   *empty_page;
  GtkTextView     *text_view;
};

G_DEFINE_FINAL_TYPE (ClapDetailsWindow, clap_details_window, ADW_TYPE_WINDOW)

static void
on_copy_clicked (ClapDetailsWindow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Request details copied")));
}

static void
exchanges_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ClapDetailsWindow) self = user_data;
  g_autoptr(JsonNode) exchanges = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  exchanges = clap_store_dup_exchanges_finish (CLAP_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_spinner_set_spinning (self->spinner, FALSE);

  if (exchanges == NULL)
    {
      adw_status_page_set_title (self->empty_page, _("The Details Cannot Be Read"));
      adw_status_page_set_description (self->empty_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  text = clap_exchanges_to_text (exchanges);
  if (*text == '\0')
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text, -1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_button), TRUE);
  gtk_stack_set_visible_child_name (self->stack, "details");
}

static void
clap_details_window_dispose (GObject *object)
{
  ClapDetailsWindow *self = CLAP_DETAILS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (clap_details_window_parent_class)->dispose (object);
}

static void
clap_details_window_class_init (ClapDetailsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clap_details_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/app/clapboard/Clapboard/ui/clap-details-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ClapDetailsWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, ClapDetailsWindow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, ClapDetailsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ClapDetailsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, ClapDetailsWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, ClapDetailsWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, ClapDetailsWindow, text_view);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
clap_details_window_init (ClapDetailsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

/* The Request Details of @task, read from @store, over @parent. */
ClapDetailsWindow *
clap_details_window_new (GtkWindow *parent,
                         ClapStore *store,
                         ClapTask  *task)
{
  ClapDetailsWindow *self;
  const char *prompt;

  g_return_val_if_fail (CLAP_IS_STORE (store), NULL);
  g_return_val_if_fail (CLAP_IS_TASK (task), NULL);

  self = g_object_new (CLAP_TYPE_DETAILS_WINDOW, "transient-for", parent, NULL);

  prompt = clap_task_get_prompt (task);
  adw_window_title_set_subtitle (self->window_title, prompt && *prompt ? prompt
                                                                       : _("(No prompt)"));

  gtk_spinner_set_spinning (self->spinner, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  clap_store_dup_exchanges_async (store, clap_task_get_uid (task), self->cancellable,
                                  exchanges_read, g_object_ref (self));
  return self;
}
