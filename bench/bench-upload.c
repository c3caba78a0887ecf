/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-client.h"

/* Uploads one file through the files endpoint with the core client and
 * prints the seconds the whole upload (slot + PUT) took. */

static void
done (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = clap_client_upload_finish (CLAP_CLIENT (source), result, NULL, &error);

  if (url == NULL)
    g_error ("upload failed: %s", error->message);
  g_main_loop_quit (user_data);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(ClapClient) client = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  if (argc != 4)
    g_error ("usage: bench-upload BASE_URL FILE CONTENT_TYPE");

  client = clap_client_new (argv[1], "bench-key", &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (argv[2]);

  start = g_get_monotonic_time ();
  clap_client_upload_async (client, file, argv[3], NULL, done, loop);
  g_main_loop_run (loop);
  g_print ("%.4f\n", (g_get_monotonic_time () - start) / 1e6);
  return 0;
}
