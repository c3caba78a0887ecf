/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "clap-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ClapApplication) app = NULL;
  /* The translations of an uninstalled build: CLAPBOARD_LOCALEDIR=BUILD/po */
  const char *localedir = g_getenv ("CLAPBOARD_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = clap_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
