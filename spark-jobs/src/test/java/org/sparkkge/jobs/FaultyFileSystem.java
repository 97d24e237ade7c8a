package org.sparkkge.jobs;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@code faulty:}, with files that fail the way real ones do
 * (tests run as root, so a chmod'ed file stays readable): a file whose name contains {@code
 * unreadable} cannot be opened (as the local file system reports a file without read permission);
 * one whose name contains {@code ioerror} fails with an IOException after its first {@link
 * #GOOD_BYTES} bytes (a disk read error), {@code bug} with an IllegalStateException there.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {
  public static final String SCHEME = "faulty";
  public static final int GOOD_BYTES = 12;

  /**
   * Makes {@code faulty:} paths readable by the shared session (its tasks copy this configuration).
   */
  public static void register() {
    Configuration conf = SharedSpark.get().sparkContext().hadoopConfiguration();
    conf.set("fs." + SCHEME + ".impl", FaultyFileSystem.class.getName());
    conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
  }

  /** The faulty: URI of a local file. */
  public static String uri(java.nio.file.Path file) {
    return SCHEME + "://" + file.toAbsolutePath();
  }

  /**
   * How the ingest stage names such a file in its messages (Hadoop's qualified form of the listed
   * file).
   */
  public static String display(java.nio.file.Path file) {
    return SCHEME + ":" + file.toAbsolutePath();
  }

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FSDataInputStream open(Path path, int bufferSize) throws IOException {
    String name = path.getName();
    if (name.contains("unreadable")) {
      throw new FileNotFoundException(pathToFile(path) + " (Permission denied)");
    }
    FSDataInputStream in = super.open(path, bufferSize);
    if (name.contains("ioerror") || name.contains("bug")) {
      return new FSDataInputStream(new FailingAfter(in, GOOD_BYTES, name.contains("bug")));
    }
    return in;
  }

  private static final class FailingAfter extends FSInputStream {
    private final FSDataInputStream in;
    private final long failAt;
    private final boolean unchecked;

    FailingAfter(FSDataInputStream in, long failAt, boolean unchecked) {
      this.in = in;
      this.failAt = failAt;
      this.unchecked = unchecked;
    }

    private void check() throws IOException {
      if (in.getPos() >= failAt) {
        if (unchecked) {
          throw new IllegalStateException("decoder bug at byte " + failAt);
        }
        throw new IOException("Input/output error");
      }
    }

    @Override
    public int read() throws IOException {
      check();
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      check();
      return in.read(b, off, (int) Math.min(len, failAt - in.getPos()));
    }

    @Override
    public void seek(long pos) throws IOException {
      in.seek(pos);
    }

    @Override
    public long getPos() throws IOException {
      return in.getPos();
    }

    @Override
    public boolean seekToNewSource(long targetPos) {
      return false;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
