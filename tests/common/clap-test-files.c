/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "clap-test-files.h"

static void
put32 (GByteArray *a,
       guint32     v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (a, b, 4);
}

static void
put16 (GByteArray *a,
       guint16     v)
{
  guint8 b[2] = { v >> 8, v };
  g_byte_array_append (a, b, 2);
}

static void
put_zeros (GByteArray *a,
           guint       n)
{
  for (guint i = 0; i < n; i++)
    g_byte_array_append (a, (const guint8 *) "", 1);
}

GBytes *
clap_test_make_png (guint32 w,
                    guint32 h,
                    gsize   padding)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  GByteArray *a = g_byte_array_new ();

  g_byte_array_append (a, sig, 8);
  put32 (a, 13);
  g_byte_array_append (a, (const guint8 *) "IHDR", 4);
  put32 (a, w);
  put32 (a, h);
  put_zeros (a, 5 + 4 + 64 + padding);
  return g_byte_array_free_to_bytes (a);
}

GBytes *
clap_test_make_jpeg (guint16 w,
                     guint16 h)
{
  GByteArray *a = g_byte_array_new ();
  static const guint8 soi[2] = { 0xff, 0xd8 };
  static const guint8 app0[2] = { 0xff, 0xe0 };
  static const guint8 fill[3] = { 0xff, 0xff, 0xc2 }; /* fill bytes, then progressive SOF2 */

  g_byte_array_append (a, soi, 2);
  g_byte_array_append (a, app0, 2);
  put16 (a, 16);
  g_byte_array_append (a, (const guint8 *) "JFIF", 5);
  put_zeros (a, 9);
  g_byte_array_append (a, fill, 3);
  put16 (a, 17);
  put_zeros (a, 1);
  put16 (a, h);
  put16 (a, w);
  put_zeros (a, 40);
  return g_byte_array_free_to_bytes (a);
}

static void
box_begin (GByteArray *a,
           const char *type,
           guint      *start)
{
  *start = a->len;
  put32 (a, 0);
  g_byte_array_append (a, (const guint8 *) type, 4);
}

static void
box_end (GByteArray *a,
         guint       start)
{
  guint32 size = a->len - start;
  guint8 *p = a->data + start;

  p[0] = size >> 24; p[1] = size >> 16; p[2] = size >> 8; p[3] = size;
}

/* ftyp, a large mdat first when @mdat_first (not "fast start"), then moov
 * with mvhd and an audio and a video track. */
GBytes *
clap_test_make_mp4 (const char *brand,
                    guint32     timescale,
                    guint32     duration,
                    guint32     w,
                    guint32     h,
                    gboolean    mdat_first,
                    gboolean    version1)
{
  GByteArray *a = g_byte_array_new ();
  guint ftyp, moov, mvhd, trak, tkhd, mdia, hdlr;
  const char *handlers[] = { "soun", "vide" };

  box_begin (a, "ftyp", &ftyp);
  g_byte_array_append (a, (const guint8 *) brand, 4);
  put32 (a, 0);
  g_byte_array_append (a, (const guint8 *) "isom", 4);
  box_end (a, ftyp);

  if (mdat_first)
    {
      /* a 64-bit sized mdat */
      put32 (a, 1);
      g_byte_array_append (a, (const guint8 *) "mdat", 4);
      put32 (a, 0);
      put32 (a, 16 + 5000);
      put_zeros (a, 5000);
    }

  box_begin (a, "moov", &moov);
  box_begin (a, "mvhd", &mvhd);
  if (version1)
    {
      put32 (a, 0x01000000);
      put_zeros (a, 16);
      put32 (a, timescale);
      put32 (a, 0);
      put32 (a, duration);
    }
  else
    {
      put32 (a, 0);
      put_zeros (a, 8);
      put32 (a, timescale);
      put32 (a, duration);
    }
  put_zeros (a, 80);
  box_end (a, mvhd);

  for (guint t = 0; t < 2; t++)
    {
      box_begin (a, "trak", &trak);
      box_begin (a, "tkhd", &tkhd);
      if (version1)
        {
          put32 (a, 0x01000003);
          put_zeros (a, 32);
        }
      else
        {
          put32 (a, 3);
          put_zeros (a, 20);
        }
      put_zeros (a, 8 + 8 + 36);
      put32 (a, t == 1 ? w << 16 : 0);
      put32 (a, t == 1 ? h << 16 : 0);
      box_end (a, tkhd);
      box_begin (a, "mdia", &mdia);
      box_begin (a, "hdlr", &hdlr);
      put32 (a, 0);
      put32 (a, 0);
      g_byte_array_append (a, (const guint8 *) handlers[t], 4);
      put_zeros (a, 12);
      box_end (a, hdlr);
      box_end (a, mdia);
      box_end (a, trak);
    }
  box_end (a, moov);

  return g_byte_array_free_to_bytes (a);
}

/* Writes @bytes to DIR/NAME and gives the path. */
char *
clap_test_write (const char *dir,
                 const char *name,
                 GBytes     *bytes)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes), NULL));
  return path;
}

/* Removes @path and everything below it (test folders only). */
void
clap_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        clap_test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

GSubprocess *
clap_test_spawn_cli (GSubprocessLauncher *launcher,
                     const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *child;

  g_assert_nonnull (g_getenv ("CLAPBOARD_CLI"));
  g_ptr_array_add (argv, (gpointer) g_getenv ("CLAPBOARD_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  child = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return child;
}
