/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-transfer.h"

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Result;

static void
uploaded (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Result *r = user_data;

  r->ok = clap_transfer_upload_inputs_finish (CLAP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static gboolean
upload_inputs (const char   *base_url,
               ClapRequest  *request,
               GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClapClient) client = clap_client_new (base_url, "sk-test", &local_error);
  Result r = { FALSE, };

  g_assert_no_error (local_error);
  clap_transfer_upload_inputs_async (client, request, NULL, uploaded, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);

  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.ok;
}

static ClapRequest *
motion_request (const char *image,
                const char *video)
{
  ClapRequest *request = clap_request_new ("kling-motion-control");

  clap_request_set_image (request, image);
  clap_request_set_motion_video (request, video);
  clap_request_set_motion_seconds (request, 5.0);
  return request;
}

/* Issue 9, part A: a link on a private host is refused before any upload
 * or create, when the service is the real, public one. Nothing here
 * reaches the network: the check comes first. */
static void
test_private_link_refused (void)
{
  g_autoptr(ClapRequest) request = motion_request ("https://192.168.1.20/me.png",
                                                   "https://example.com/dance.mp4");
  g_autoptr(GError) error = NULL;

  g_assert_false (upload_inputs ("https://apimodels.app", request, &error));
  g_assert_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_PRIVATE_URL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "192.168.1.20 is a private or local address"));
  g_assert_cmpstr (clap_request_get_image (request), ==, "https://192.168.1.20/me.png");
}

/* A service on this computer (the simulator, the tests) can fetch links on
 * this computer: they pass, and with nothing local to upload, the inputs
 * are done. */
static void
test_local_service_allows (void)
{
  g_autoptr(ClapRequest) request = motion_request ("http://127.0.0.1:1/files/me.png",
                                                   "https://10.0.0.2/dance.mp4");
  g_autoptr(GError) error = NULL;

  g_assert_true (upload_inputs ("http://127.0.0.1:1", request, &error));
  g_assert_no_error (error);
}

/* Public links pass, and are left as they are. */
static void
test_public_links_pass (void)
{
  g_autoptr(ClapRequest) request = motion_request ("https://example.com/me.png",
                                                   "https://example.com/dance.mp4");
  g_autoptr(GError) error = NULL;

  g_assert_true (upload_inputs ("https://apimodels.app", request, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (clap_request_get_image (request), ==, "https://example.com/me.png");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/transfer/links/private-refused", test_private_link_refused);
  g_test_add_func ("/core/transfer/links/local-service", test_local_service_allows);
  g_test_add_func ("/core/transfer/links/public", test_public_links_pass);

  return g_test_run ();
}
