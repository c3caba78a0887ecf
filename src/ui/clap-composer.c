/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-composer"

#include "config.h"

#include <glib/gi18n.h>

#include "clap-composer.h"

/* The composer: the prompt and the options of the chosen model, the price,
 * and the Generate button. */

struct _ClapComposer
{
  GtkWidget    parent_instance;

  ClapRequest *request;
  GSettings   *settings;

  GtkTextView *prompt_view;
  GtkLabel    *price_label;
  GtkButton   *generate_button;
};

G_DEFINE_FINAL_TYPE (ClapComposer, clap_composer, GTK_TYPE_WIDGET)

enum {
  GENERATE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update (ClapComposer *self)
{
  g_autoptr(GError) error = NULL;
  ClapPrice price = 0;
  gboolean valid = clap_request_validate (self->request, &error);

  if (clap_request_estimate (self->request, &price))
    {
      g_autofree char *text = clap_price_format (price);
      g_autofree char *label = g_strdup_printf ("≈ %s", text);
      gtk_label_set_label (self->price_label, label);
    }
  else
    gtk_label_set_label (self->price_label, "");

  gtk_widget_set_sensitive (GTK_WIDGET (self->generate_button), valid);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->generate_button),
                               valid ? _("Generate (Ctrl+Enter)") : error->message);
}

static void
on_prompt_changed (GtkTextBuffer *buffer,
                   ClapComposer  *self)
{
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  clap_request_set_prompt (self->request, text);
  update (self);
}

ClapComposer *
clap_composer_new (void)
{
  return g_object_new (CLAP_TYPE_COMPOSER, NULL);
}

ClapRequest *
clap_composer_get_request (ClapComposer *self)
{
  g_return_val_if_fail (CLAP_IS_COMPOSER (self), NULL);
  return self->request;
}

void
clap_composer_load_request (ClapComposer *self,
                            ClapRequest  *request)
{
  GtkTextBuffer *buffer;

  g_return_if_fail (CLAP_IS_COMPOSER (self));

  g_set_object (&self->request, clap_request_copy (request));
  g_object_unref (self->request);
  buffer = gtk_text_view_get_buffer (self->prompt_view);
  gtk_text_buffer_set_text (buffer, clap_request_get_prompt (request) ? clap_request_get_prompt (request) : "", -1);
  update (self);
}

void
clap_composer_set_settings (ClapComposer *self,
                            GSettings    *settings)
{
  g_set_object (&self->settings, settings);
}

void
clap_composer_generate (ClapComposer *self)
{
  g_autoptr(ClapRequest) copy = NULL;

  g_return_if_fail (CLAP_IS_COMPOSER (self));

  if (!clap_request_validate (self->request, NULL))
    return;

  copy = clap_request_copy (self->request);
  g_signal_emit (self, signals[GENERATE], 0, copy, 1u);
}

gboolean
clap_composer_paste (ClapComposer *self)
{
  return FALSE;
}

static void
on_generate_clicked (ClapComposer *self)
{
  clap_composer_generate (self);
}

static void
clap_composer_dispose (GObject *object)
{
  ClapComposer *self = CLAP_COMPOSER (object);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->request);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (clap_composer_parent_class)->dispose (object);
}

static void
clap_composer_class_init (ClapComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clap_composer_dispose;

  signals[GENERATE] =
    g_signal_new ("generate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, CLAP_TYPE_REQUEST, G_TYPE_UINT);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
}

static void
clap_composer_init (ClapComposer *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  self->request = clap_request_new ("kling-v2-6");
  self->prompt_view = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_text_view_set_wrap_mode (self->prompt_view, GTK_WRAP_WORD_CHAR);
  gtk_widget_set_size_request (GTK_WIDGET (self->prompt_view), -1, 120);
  self->price_label = GTK_LABEL (gtk_label_new (""));
  self->generate_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Generate")));
  gtk_widget_add_css_class (GTK_WIDGET (self->generate_button), "suggested-action");
  g_signal_connect_swapped (self->generate_button, "clicked", G_CALLBACK (on_generate_clicked), self);
  g_signal_connect (gtk_text_view_get_buffer (self->prompt_view), "changed",
                    G_CALLBACK (on_prompt_changed), self);

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->prompt_view));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->price_label));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->generate_button));
  gtk_widget_set_parent (box, GTK_WIDGET (self));
  update (self);
}
