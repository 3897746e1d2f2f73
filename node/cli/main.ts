console.log('g2g: not yet');
