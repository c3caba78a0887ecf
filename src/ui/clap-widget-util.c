/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-widget-util"

#include "config.h"

#include "clap-widget-util.h"

/* Small fixes that several widgets need. */

/* GTK 4.8 names a button with a mnemonic after its raw label ("_Enter…")
 * followed by its label's words: a screen reader should say the words once. */
void
clap_button_name_after_label (GtkButton *button)
{
  GtkWidget *child = gtk_button_get_child (button);

  g_return_if_fail (GTK_IS_LABEL (child));

  gtk_accessible_reset_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_label_get_text (GTK_LABEL (child)), -1);
}
