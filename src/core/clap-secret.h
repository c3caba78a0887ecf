/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void      clap_secret_lookup_async   (GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
char     *clap_secret_lookup_finish  (GAsyncResult        *result,
                                      GError             **error);
void      clap_secret_store_async    (const char          *key,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  clap_secret_store_finish   (GAsyncResult        *result,
                                      GError             **error);
void      clap_secret_clear_async    (GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  clap_secret_clear_finish   (GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
