/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-secret"

#include "config.h"

#include <libsecret/secret.h>
#include <glib/gi18n-lib.h>

#include "clap-secret.h"

/* The API key lives in the Secret Service (the keyring), never in settings,
 * the history or a log. These calls are asynchronous: the keyring may ask
 * to be unlocked. An error means no Secret Service answered; the caller
 * then keeps the key for the session only and says so. */

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "app.clapboard.Clapboard.ApiKey", SECRET_SCHEMA_NONE,
    {
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };

  return &schema;
}

static void
prefix (GError **error)
{
  g_prefix_error (error, "%s", _("The keyring is not available: "));
}

void
clap_secret_lookup_async (GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  secret_password_lookup (get_schema (), cancellable, callback, user_data,
                          "kind", "api-key", NULL);
}

/* The stored key, or NULL (without an error) when none is stored. */
char *
clap_secret_lookup_finish (GAsyncResult  *result,
                           GError       **error)
{
  char *secret = secret_password_lookup_finish (result, error);
  char *copy;

  if (secret == NULL)
    {
      prefix (error);
      return NULL;
    }

  copy = g_strdup (secret);
  secret_password_free (secret);
  return copy;
}

void
clap_secret_store_async (const char          *key,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, _("Clapboard API key"),
                         key, cancellable, callback, user_data, "kind", "api-key", NULL);
}

gboolean
clap_secret_store_finish (GAsyncResult  *result,
                          GError       **error)
{
  if (!secret_password_store_finish (result, error))
    {
      prefix (error);
      return FALSE;
    }
  return TRUE;
}

void
clap_secret_clear_async (GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  secret_password_clear (get_schema (), cancellable, callback, user_data, "kind", "api-key", NULL);
}

gboolean
clap_secret_clear_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  /* FALSE without an error: there was nothing to clear. */
  if (!secret_password_clear_finish (result, &local_error) && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      prefix (error);
      return FALSE;
    }
  return TRUE;
}
