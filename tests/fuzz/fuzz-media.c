/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-media.h"
#include "fuzz-common.h"

/* clap_media_probe_stream() reads the headers of files a person drops in,
 * and checks finished downloads. Input: one byte of mode, then the file.
 * Mode bit 0 declares the file longer than the bytes there are (it shrank
 * while being read); bit 1 hides the stream's seeking, as a pipe would. */

typedef struct {
  GFilterInputStream parent_instance;
} UnseekableStream;

typedef struct {
  GFilterInputStreamClass parent_class;
} UnseekableStreamClass;

static GType unseekable_stream_get_type (void);
G_DEFINE_TYPE (UnseekableStream, unseekable_stream, G_TYPE_FILTER_INPUT_STREAM)

static gssize
unseekable_read (GInputStream  *stream,
                 void          *buffer,
                 gsize          count,
                 GCancellable  *cancellable,
                 GError       **error)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));

  return g_input_stream_read (base, buffer, count, cancellable, error);
}

static void
unseekable_stream_class_init (UnseekableStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = unseekable_read;
}

static void
unseekable_stream_init (UnseekableStream *self)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GInputStream) memory = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;
  guint64 declared;
  gboolean ok;

  fuzz_init ();

  if (size < 1)
    return 0;

  memory = g_memory_input_stream_new_from_data (data + 1, (gssize) size - 1, NULL);
  declared = size - 1 + ((data[0] & 1) ? 4096 : 0);
  if (data[0] & 2)
    stream = g_object_new (unseekable_stream_get_type (), "base-stream", memory, NULL);
  else
    stream = g_object_ref (memory);

  ok = clap_media_probe_stream (stream, declared, &info, &error);
  g_assert (ok == (error == NULL));
  if (!ok)
    {
      g_assert (error->domain == CLAP_MEDIA_ERROR || error->domain == G_IO_ERROR);
      return 0;
    }

  /* A readable file has a kind and a size; what the checks then say is
   * a sentence, whatever the numbers. */
  g_assert (info.type != CLAP_MEDIA_UNKNOWN);
  g_assert (info.size == declared);
  {
    g_autofree char *described = clap_media_describe (&info);
    g_autoptr(GError) image_error = NULL;
    g_autoptr(GError) video_error = NULL;

    g_assert (g_utf8_validate (described, -1, NULL));
    g_assert (clap_media_check_image (&info, &image_error) == (image_error == NULL));
    g_assert (clap_media_check_video (&info, 30.0, &video_error) == (video_error == NULL));
  }
  return 0;
}
